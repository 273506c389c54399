"""The PDF editions, for check_site.py, when the site was built with --pdf: each language's book
through poppler. Every font embedded (pdffonts); the title page, the contents and a page of the
first chapter rendered with pdftoppm, saved as screenshots and not blank; the contents list each
chapter with the page its outline entry opens; the Chinese book's text in Chinese, drawn with an
embedded font (Chromium embeds CJK glyphs as Type 3 fonts)."""
import re
import subprocess
from pathlib import Path


def run(*args):
    return subprocess.run(args, capture_output=True, check=True).stdout


def inked(pgm):
    """The share of pixels darker than light grey in a binary PGM (P5) file."""
    data = pgm.read_bytes()
    fields, index = 0, 0
    while fields < 4:
        while data[index] not in b" \n":
            index += 1
        fields += 1
        index += 1
    pixels = data[index:]
    return sum(1 for p in pixels if p < 200) / max(1, len(pixels))


def destinations(pdf):
    """Named destination → page, from `pdfinfo -dests`."""
    pages = {}
    for line in run("pdfinfo", "-dests", str(pdf)).decode("utf-8", "replace").splitlines():
        match = re.match(r'\s*(\d+)\s+\[.*\]\s+"(.*)"$', line)
        if match:
            pages[match.group(2)] = int(match.group(1))
    return pages


def pdf_editions(root, out, say, check):
    books = sorted((root / "downloads").glob("*.pdf"))
    if not books:
        say("PDF: none in downloads/ (the site was built without --pdf)")
        return
    for book in books:
        fonts = run("pdffonts", str(book)).decode().splitlines()[2:]
        check(fonts and all(line.split()[-5] == "yes" for line in fonts), f"{book.name}: a font is not embedded: {fonts}")
        pages = destinations(book)
        contents = run("pdftotext", "-layout", "-f", "2", "-l", "2", str(book), "-").decode()
        numbered = [line for line in contents.splitlines() if re.search(r"\S\s+\d+$", line)]
        check(len(numbered) >= 5, f"{book.name}: the contents page shows no page numbers:\n{contents[:600]}")
        # The contents' first line is the first chapter; its page is where a destination is.
        first_chapter = int(numbered[0].split()[-1]) if numbered else 0
        check(first_chapter >= 3 and first_chapter in pages.values(),
              f"{book.name}: the contents put the first chapter on page {first_chapter}, where no destination is")
        for page, what in ((1, "title"), (2, "contents"), (first_chapter, "chapter")):
            prefix = out / f"pdf-{book.stem}-{what}"
            run("pdftoppm", "-gray", "-r", "60", "-f", str(page), "-l", str(page), "-singlefile", str(book), str(prefix))
            share = inked(Path(f"{prefix}.pgm"))
            check(share > 0.002, f"{book.name}: the {what} page (page {page}) is blank")
            run("pdftoppm", "-png", "-r", "60", "-f", str(page), "-l", str(page), "-singlefile", str(book), str(prefix))
            Path(f"{prefix}.pgm").unlink()
        if book.stem.endswith("-zh"):
            text = run("pdftotext", "-f", str(first_chapter), "-l", str(first_chapter), str(book), "-").decode()
            cjk = sum(1 for c in text if "\u4e00" <= c <= "\u9fff")
            check(cjk > 50, f"{book.name}: page {first_chapter} has {cjk} Chinese characters")
        say(f"PDF {book.name}: {len(pages)} destinations, fonts embedded, contents numbered "
            f"(first chapter on page {first_chapter}), title/contents/chapter pages rendered")
