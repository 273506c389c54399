# A thin wrapper for people who have make. ./make.sh does the work: a fresh Debian 12 machine with
# only the Swift toolchain has no make, and the README's two commands must work there.
TASKS := site test browser-check serve install bench-hypervisor bench-site bench-exercises bench-qemu
.PHONY: $(TASKS)
$(TASKS):
	./make.sh $@
