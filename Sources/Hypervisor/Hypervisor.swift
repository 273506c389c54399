// Placeholder until the Hypervisor module lands.
