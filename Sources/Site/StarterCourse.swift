/// The course `hypercourse init` writes: small, and written to be read, so that a new instructor
/// learns the format from it (front matter, chapters, links and anchors, admonitions, footnotes,
/// includes, asm and C exercises and their options). It builds as it is, and the tests build it.
enum StarterCourse {
    /// Path in the new course's folder → text. `title` goes into course.yml and the README.
    static func files(title: String) -> [(path: String, text: String)] {
        // A multi-line literal ends before its last newline; a text file ends with one.
        texts(title: title).map { ($0.path, $0.text + "\n") }
    }

    private static func texts(title: String) -> [(path: String, text: String)] {
        [
            ("README.md", readme(title: title)),
            (".gitignore", gitignore),
            ("content/course.yml", courseYAML(title: title)),
            ("content/_index.md", homeIntro),
            ("content/01-first-steps/_index.md", chapterIntro),
            ("content/01-first-steps/01-hello-guest.md", firstLesson),
            ("content/01-first-steps/02-writing-lessons.md", secondLesson),
            ("content/01-first-steps/exit-three.asm", exitThree),
            ("content/shared/serial.inc", serialInclude),
            (workflowPath, publishWorkflow)
        ]
    }

    static func readme(title: String) -> String {
        #"""
        # \#(title)

        A course written with Hypercourse: lessons in `content/`, built into a
        static site in `public/` whose exercises really ran on KVM.

        ```sh
        hypercourse build                     # content/ → public/; open public/index.html
        hypercourse serve                     # http://127.0.0.1:8000, rebuilt and reloaded on every save
        hypercourse new lesson first-steps "Another lesson"
        hypercourse check                     # reruns every exercise against its record (for CI)
        ```

        Start with `content/01-first-steps/01-hello-guest.md`: the starter lessons explain the format.
        Commit the `*.exercises.json` files beside the lessons: they are the verified results.

        On GitHub, `.github/workflows/publish.yml` builds and checks the course on every push to
        `main` and publishes it on GitHub Pages; its first lines say what to set up once.
        """#
    }

    static let gitignore = #"""
        # Made by `hypercourse build`; never commit them. Do commit the *.exercises.json records.
        /public/
        .hypercourse-cache/
        """#

    static func courseYAML(title: String) -> String {
        #"""
        # The course's settings. Every key is optional.
        title: \#(YAMLDocument.doubleQuoted(title))
        subtitle: "Guests that really run"
        description: >-
          One paragraph about the course, shown on the home page and in search results.
        language: en                # selects the interface strings (en, or a translation you add)
        authors: [Your Name]
        license: "CC BY-SA 4.0"
        # Where the site is published: with it, the build adds a sitemap, robots.txt, canonical
        # links and link previews. .github/workflows/publish.yml publishes it on GitHub Pages.
        # base-url: https://USER.github.io/REPOSITORY/
        # More keys: repository, edit-url, templates (a folder of your own templates) and
        # chapters, to order and title chapters explicitly. Without `chapters`, the folders are taken
        # in name order (01-, 02-, ...), titled by their _index.md or their name.
        """#
    }

    static let homeIntro = #"""
        ---
        title: About this course
        ---

        This is the home page's introduction, `content/_index.md`: say who the course is for and where to
        start. The outline below it is made from the chapter folders and their lessons.

        Start with [your first guest](01-first-steps/01-hello-guest.md).
        """#

    static let chapterIntro = #"""
        ---
        title: First steps
        description: A first guest program, and how lessons are written.
        ---

        A chapter is a folder of lessons; this introduction is its `_index.md`. The folder's number orders
        the chapters and is left out of the address (this page is `first-steps/index.html`).
        """#

    static let firstLesson = #"""
        ---
        title: "Your first guest"
        description: "A guest program that prints through a serial port, run on KVM when the site is built."
        objectives:
          - "Write an exercise: a guest program in a fenced block."
          - "Read what the page shows of its run: output, end, VM exits."
        ---

        A lesson is a Markdown file with front matter (the part between the `---` lines). Its number orders
        it in the chapter and is left out of its address: this page is `first-steps/hello-guest.html`.

        ## A guest in assembly

        An exercise is a fenced code block whose info string is the language (`asm` or `c`), the word
        `exercise` and options, `id` first. When the site is built, the guest is assembled, run twice on
        KVM, and the page shows what really happened. This one starts in 16-bit real mode:

        ```asm exercise id=hello-real mode=real trace
        ; [hide]
        bits 16
        org 0x7c00
        ; [show]
            mov dx, 0x3f8            ; COM1, the serial port
            mov si, message
        .next:
            lodsb                    ; AL = the next byte
            test al, al
            jz .done
            out dx, al               ; one VM exit per byte
            jmp .next
        .done:
            hlt                      ; the run ends
        message: db "Hello!", 10, 0
        ```

        The lines between `; [hide]` and `; [show]` are assembled but not shown: the header every real-mode
        guest needs (`org 0x7c00` is where it is loaded). Below the code, the card shows the output, how
        the run ended (it had to end with `hlt`, the default expectation) and the VM exits it caused;
        `trace` adds their timeline, each exit at the line that caused it.

        > [!TIP]
        > Change the message and build again. The build reruns the exercise and stops with a diff, because
        > the result no longer matches its verified record, `01-hello-guest.exercises.json` beside this
        > file. `hypercourse build --promote` accepts the new result. Commit the record with the lesson.

        ## A guest in C

        C exercises run in 64-bit `long` mode (ring 0, the default for C) or `user` mode (ring 3).
        `hypercourse.h` is a small runtime: `printf`, `puts`, port I/O, `exit`, `memcpy` and a few more;
        there is no other library.

        ```c exercise id=hello-c
        #include "hypercourse.h"

        int main(void) {
            int squares = 0;
            for (int i = 1; i <= 3; i++) squares += i * i;
            printf("1 + 4 + 9 = %d\n", squares);
            return 0;                /* the exit status: the run ends as "exit 0" */
        }
        ```

        Next: [how lessons are written](02-writing-lessons.md).
        """#

    static let secondLesson = #"""
        ---
        title: "Writing lessons"
        description: "Links, notes, citations, included files and exercise options, by example."
        ---

        Lessons are GitHub-flavoured Markdown. Read this page beside its source,
        `content/01-first-steps/02-writing-lessons.md`.

        ## Links and anchors {#links}

        Link to the Markdown file, not to the page: [the first lesson](01-hello-guest.md), one of its
        sections ([a guest in C](01-hello-guest.md#a-guest-in-c)), an exercise
        ([its first guest](01-hello-guest.md#exercise-hello-real)), [this chapter](_index.md), or a heading
        on this page ([includes](#includes)). Headings get ids from their text; `{#links}` above chose one.
        Every link is checked when the site is built: a broken one stops the build with its line.

        > [!NOTE]
        > Notes come in five kinds: `[!NOTE]`, `[!TIP]`, `[!IMPORTANT]`, `[!WARNING]` and `[!CAUTION]`.

        Citations are footnotes, numbered and collected at the end of the page.[^pg74]

        ## Included files {#includes}

        `\{{#include FILE}}` shows a file, or part of it, in the page. The part between the
        `ANCHOR: putc` and `ANCHOR_END: putc` comments of `shared/serial.inc`:

        ```nasm
        {{#include ../shared/serial.inc:putc}}
        ```

        A folder without Markdown files, such as `shared/`, is not a chapter: keep sources there.

        ## Exercise options

        An exercise can take its source from a file with `src=`, and says how its run must end with
        `expect=` when that is not `hlt` (or `exit:0` in C). This one includes `shared/serial.inc`, as
        every lesson can, and ends through the exit port with status 3:

        ```asm exercise id=exit-three mode=real expect=exit:3 src=exit-three.asm
        ```

        Other options: `mode` (`real`, `protected`, `long`, `user`), `memory` (MiB), `timeout`
        (seconds), `trace` (the VM-exit timeline) and `steps=N` (the first N instructions, one row each):

        ```asm exercise id=three-steps mode=real steps=3
        ; [hide]
        bits 16
        org 0x7c00
        ; [show]
            mov ax, 6
            add ax, 7
            hlt
        ```

        [^pg74]: G. J. Popek and R. P. Goldberg, "Formal requirements for virtualizable third generation
            architectures", *Communications of the ACM* 17(7), 1974.
        """#

    static let exitThree = #"""
        ; [hide]
        ; The source of the exit-three exercise in "Writing lessons" (src=exit-three.asm).
        bits 16
        org 0x7c00
        ; [show]
        %include "shared/serial.inc"

            mov si, message
            call puts
            mov al, 3
            out 0xf4, al             ; the exit port: the run ends as "exit 3"
        message: db "Leaving with status 3", 10, 0
        """#

    static let serialInclude = #"""
        ; Serial output for real-mode guests. `%include "shared/serial.inc"` finds it from every lesson.
        ; It is placed where it is included, so include it after the code that runs first, or jump over it.
            jmp serial_end

        ; ANCHOR: putc
        ; putc: writes AL to COM1.
        putc:
            push dx
            mov dx, 0x3f8
            out dx, al
            pop dx
            ret
        ; ANCHOR_END: putc

        ; puts: writes the zero-terminated string at SI.
        puts:
            lodsb
            test al, al
            jz .done
            call putc
            jmp puts
        .done:
            ret

        serial_end:
        """#
}
