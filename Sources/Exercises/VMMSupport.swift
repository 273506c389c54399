import Common
import Foundation

/// What a vmm exercise is built and run with, kept in the program like the guest runtime: the header
/// lessons may include (`hypercourse-vmm.h`) and the launcher that confines each run. Written to the
/// cache folder (`vmm/<hash>/`), the launcher compiled there once; the hash is in every vmm key.
public enum VMMSupport {
    public static let headerName = "hypercourse-vmm.h"
    static let launcherName = "hypercourse-vmm-launch"

    /// Flags for compiling a vmm (and the launcher) with the host's C library and headers.
    static let compileFlags = [
        "--target=x86_64-unknown-linux-gnu", "-O2", "-std=gnu11", "-Wall", "-fno-caret-diagnostics", "-fno-color-diagnostics"
    ]
    /// Linked statically, so the confined program reads no shared libraries at run time and the
    /// launcher's rules need not allow any.
    static let linkFlags = ["--target=x86_64-unknown-linux-gnu", "-static", "-fuse-ld=lld"]

    /// The descriptors the launcher finds open: `/dev/kvm`, the Landlock ruleset (absent when there
    /// is none), and the pipe it reports on.
    static let kvmDescriptor: Int32 = 3
    static let rulesetDescriptor: Int32 = 4
    static let reportDescriptor: Int32 = 5
    /// The launcher's exit status when it could not confine the run (its reason is on the report pipe).
    static let cannotConfineStatus: Int32 = 125

    static let files: [(name: String, text: String)] = [(headerName, header), (launcherName + ".c", launcher)]

    public static let hash: String = SHA256.hash(
        (files.flatMap { [$0.name, $0.text] } + [(compileFlags + linkFlags).joined(separator: " ")]).joined(separator: "\u{0}"))

    /// `hypercourse-vmm.h`: helpers a vmm may use; a lesson can also write every ioctl itself.
    public static let header = #"""
        /* hypercourse-vmm.h: helpers for vmm exercises (a C program that runs a guest on /dev/kvm).
         *
         * The build runs the program confined, with /dev/kvm already open on descriptor 3 (HC_KVM_FD) and the
         * guest's image path (guest=ID) in argv[1]. Everything here is optional: a lesson can show the raw
         * ioctl sequence instead. stdout is made line-buffered, so printf and perror lines come out in order.
         * See docs/exercises.md ("vmm exercises"). */
        #ifndef HYPERCOURSE_VMM_H
        #define HYPERCOURSE_VMM_H

        #include <errno.h>
        #include <fcntl.h>
        #include <linux/kvm.h>
        #include <stdint.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <sys/ioctl.h>
        #include <sys/mman.h>
        #include <sys/stat.h>
        #include <unistd.h>

        #define HC_KVM_FD 3

        __attribute__((constructor)) static void hc_line_buffered(void) { setvbuf(stdout, NULL, _IOLBF, 0); }

        /* ioctl that stops the program with the request's name and the error when it fails. */
        #define HC_IOCTL(fd, request, arg) hc_checked_ioctl((fd), (request), #request, (unsigned long)(arg))
        static inline long hc_checked_ioctl(int fd, unsigned long request, const char *name, unsigned long arg) {
            long result = ioctl(fd, request, arg);
            if (result < 0) {
                fprintf(stderr, "%s: %s\n", name, strerror(errno));
                exit(1);
            }
            return result;
        }

        /* /dev/kvm, checked: the descriptor the build opened, with the stable API. */
        static inline int hc_kvm(void) {
            if (HC_IOCTL(HC_KVM_FD, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
                fprintf(stderr, "unexpected KVM API version\n");
                exit(1);
            }
            return HC_KVM_FD;
        }

        /* Reads a whole file (the guest image) into memory; stops the program when it cannot. */
        static inline uint8_t *hc_read_file(const char *path, size_t *size) {
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            struct stat info;
            if (fd < 0 || fstat(fd, &info) < 0) {
                perror(path);
                exit(1);
            }
            uint8_t *bytes = malloc(info.st_size ? (size_t)info.st_size : 1);
            size_t done = 0;
            while (bytes && done < (size_t)info.st_size) {
                ssize_t got = read(fd, bytes + done, (size_t)info.st_size - done);
                if (got <= 0) break;
                done += (size_t)got;
            }
            if (!bytes || done != (size_t)info.st_size) {
                fprintf(stderr, "%s: cannot read\n", path);
                exit(1);
            }
            close(fd);
            *size = done;
            return bytes;
        }

        /* Guest RAM: anonymous memory, registered as slot 0 at guest-physical address 0. */
        static inline uint8_t *hc_add_ram(int vm, size_t size) {
            uint8_t *ram = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (ram == MAP_FAILED) {
                perror("mmap guest RAM");
                exit(1);
            }
            struct kvm_userspace_memory_region region = {
                .slot = 0, .guest_phys_addr = 0, .memory_size = size, .userspace_addr = (uint64_t)(uintptr_t)ram,
            };
            HC_IOCTL(vm, KVM_SET_USER_MEMORY_REGION, &region);
            return ram;
        }

        /* The vCPU's shared kvm_run page. */
        static inline struct kvm_run *hc_map_run(int kvm, int vcpu) {
            long size = HC_IOCTL(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
            struct kvm_run *run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
            if (run == MAP_FAILED) {
                perror("mmap kvm_run");
                exit(1);
            }
            return run;
        }

        /* Real mode with flat segments at 0 and the first instruction at `entry`. */
        static inline void hc_real_mode(int vcpu, uint64_t entry) {
            struct kvm_sregs sregs;
            HC_IOCTL(vcpu, KVM_GET_SREGS, &sregs);
            struct kvm_segment *segments[] = {&sregs.cs, &sregs.ds, &sregs.es, &sregs.fs, &sregs.gs, &sregs.ss};
            for (unsigned i = 0; i < sizeof segments / sizeof segments[0]; i++) {
                segments[i]->base = 0;
                segments[i]->selector = 0;
            }
            HC_IOCTL(vcpu, KVM_SET_SREGS, &sregs);
            struct kvm_regs regs = {.rip = entry, .rflags = 0x2, .rsp = 0x7000};
            HC_IOCTL(vcpu, KVM_SET_REGS, &regs);
        }

        /* The name of a KVM_EXIT_* reason. */
        static inline const char *hc_exit_name(uint32_t reason) {
            switch (reason) {
            case KVM_EXIT_IO: return "KVM_EXIT_IO";
            case KVM_EXIT_HLT: return "KVM_EXIT_HLT";
            case KVM_EXIT_MMIO: return "KVM_EXIT_MMIO";
            case KVM_EXIT_SHUTDOWN: return "KVM_EXIT_SHUTDOWN";
            case KVM_EXIT_FAIL_ENTRY: return "KVM_EXIT_FAIL_ENTRY";
            case KVM_EXIT_INTERNAL_ERROR: return "KVM_EXIT_INTERNAL_ERROR";
            case KVM_EXIT_EXCEPTION: return "KVM_EXIT_EXCEPTION";
            case KVM_EXIT_DEBUG: return "KVM_EXIT_DEBUG";
            case KVM_EXIT_SYSTEM_EVENT: return "KVM_EXIT_SYSTEM_EVENT";
            default: return "KVM_EXIT_(other)";
            }
        }

        /* One line describing the exit in `run`: its reason and, for I/O and MMIO, what was accessed. */
        static inline void hc_print_exit(const struct kvm_run *run) {
            printf("%s", hc_exit_name(run->exit_reason));
            if (run->exit_reason == KVM_EXIT_IO) {
                printf(" %s port 0x%x size %u", run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in", run->io.port, run->io.size);
            } else if (run->exit_reason == KVM_EXIT_MMIO) {
                printf(" %s 0x%llx size %u", run->mmio.is_write ? "write" : "read", (unsigned long long)run->mmio.phys_addr, run->mmio.len);
            }
            printf("\n");
        }

        #endif
        """#

    /// The launcher: confines itself, then starts the vmm as the first process of a new PID namespace.
    /// Started by the build with the descriptors above; its arguments are the limits and the program.
    static let launcher = #"""
        /* hypercourse-vmm-launch CPU_SECONDS MEMORY_BYTES PROCESSES STRICT FOLDER PROGRAM [IMAGE]
         *
         * PROGRAM and IMAGE are names in FOLDER, which becomes the working folder before the switch of user:
         * so the unprivileged run reaches them through relative paths, even when a folder above FOLDER (a
         * course in /root, say) is closed to it.
         *
         * Confines what it runs, then runs it: limits (CPU, address space, file size, processes, open files,
         * no core files); new network and PID namespaces (and a user namespace when not started as root,
         * which otherwise runs as a user of its own); no_new_privs; the Landlock ruleset on descriptor 4. The program is
         * the first process of its PID namespace, so when it ends, or this launcher is killed, every process
         * it started dies with it. On descriptor 5 it reports "exit N" or "signal N" at the end, or why it
         * could not confine (then exits 125). With STRICT 0, a step that fails is reported as a warning and
         * skipped: the instructor opted in to unconfined runs. */
        #define _GNU_SOURCE
        #include <errno.h>
        #include <fcntl.h>
        #include <grp.h>
        #include <sched.h>
        #include <signal.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <sys/prctl.h>
        #include <sys/resource.h>
        #include <sys/syscall.h>
        #include <sys/wait.h>
        #include <unistd.h>

        #define RULESET_FD 4
        #define REPORT_FD 5
        /* Root runs the program as a user no one else is: this base plus the launcher's PID, so each run
         * has its own RLIMIT_NPROC count (counted per user) and no file on the machine is its own. */
        #define RUN_UID_BASE 1000000000u

        static int strict = 1;

        static void cannot(const char *what) {
            dprintf(REPORT_FD, "%s%s: %s\n", strict ? "" : "warning: ", what, strerror(errno));
            if (strict) _exit(125);
        }

        static void limit(int resource, unsigned long long value, const char *what) {
            struct rlimit rl = {value, value};
            if (setrlimit(resource, &rl) != 0) cannot(what);
        }

        static void write_file(const char *path, const char *text) {
            int fd = open(path, O_WRONLY | O_CLOEXEC);
            if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) cannot(path);
            if (fd >= 0) close(fd);
        }

        /* Root: new namespaces, then a user of the run's own (root is exempt from RLIMIT_NPROC). Others: a
         * user namespace that maps only themselves makes the network and PID namespaces possible. */
        static void isolate(void) {
            uid_t uid = getuid();
            gid_t gid = getgid();
            if (uid == 0) {
                if (unshare(CLONE_NEWNET | CLONE_NEWPID) != 0) cannot("new network and PID namespaces");
                uid_t run = RUN_UID_BASE + (uid_t)getpid();
                if (setgroups(0, NULL) != 0 || setgid(run) != 0 || setuid(run) != 0) cannot("switching to the run's own user");
                return;
            }
            if (unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWPID) != 0) {
                cannot("new user, network and PID namespaces (unprivileged user namespaces may be disabled)");
                return;
            }
            char map[64];
            snprintf(map, sizeof map, "%u %u 1\n", (unsigned)uid, (unsigned)uid);
            write_file("/proc/self/uid_map", map);
            write_file("/proc/self/setgroups", "deny");
            snprintf(map, sizeof map, "%u %u 1\n", (unsigned)gid, (unsigned)gid);
            write_file("/proc/self/gid_map", map);
        }

        static void take_on_landlock(void) {
            if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) cannot("no_new_privs");
            if (fcntl(RULESET_FD, F_GETFD) < 0) {
                errno = ENOSYS;
                cannot("Landlock");
                return;
            }
            if (syscall(446 /* landlock_restrict_self */, RULESET_FD, 0) != 0) cannot("Landlock");
            close(RULESET_FD);
        }

        int main(int argc, char **argv) {
            if (argc < 7) {
                dprintf(REPORT_FD, "usage: %s CPU_SECONDS MEMORY_BYTES PROCESSES STRICT FOLDER PROGRAM [IMAGE]\n", argv[0]);
                return 125;
            }
            strict = atoi(argv[4]) != 0;
            fcntl(REPORT_FD, F_SETFD, FD_CLOEXEC);
            limit(RLIMIT_CORE, 0, "RLIMIT_CORE");
            limit(RLIMIT_CPU, strtoull(argv[1], NULL, 10), "RLIMIT_CPU");
            limit(RLIMIT_AS, strtoull(argv[2], NULL, 10), "RLIMIT_AS");
            limit(RLIMIT_NPROC, strtoull(argv[3], NULL, 10), "RLIMIT_NPROC");
            limit(RLIMIT_FSIZE, 1 << 20, "RLIMIT_FSIZE");
            limit(RLIMIT_NOFILE, 64, "RLIMIT_NOFILE");
            if (chdir(argv[5]) != 0) {
                strict = 1;
                cannot(argv[5]);
            }
            isolate();
            take_on_landlock();
            pid_t child = fork();
            if (child < 0) cannot("fork");
            if (child == 0) {
                /* Dies with the launcher (set after the switch of user, which clears it). */
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                char path[4096];
                snprintf(path, sizeof path, "./%s", argv[6]);
                char *program[] = {argv[6], argc > 7 ? argv[7] : NULL, NULL};
                char *environment[] = {"PATH=/usr/bin:/bin", "LC_ALL=C", NULL};
                execve(path, program, environment);
                fprintf(stderr, "cannot start %s: %s\n", argv[6], strerror(errno));
                _exit(127);
            }
            int status = 0;
            while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
            if (WIFSIGNALED(status)) dprintf(REPORT_FD, "signal %d\n", WTERMSIG(status));
            else dprintf(REPORT_FD, "exit %d\n", WEXITSTATUS(status));
            return 0;
        }
        """#
}
