import Testing
@testable import Exercises
