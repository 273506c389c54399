/// Every problem found in one pass, in course order.
public struct ExerciseFailure: Error, Sendable, CustomStringConvertible {
    public var problems: [ExerciseProblem]
    public init(_ problems: [ExerciseProblem]) { self.problems = problems }
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
