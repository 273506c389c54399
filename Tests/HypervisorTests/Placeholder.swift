import Testing
@testable import Hypervisor
