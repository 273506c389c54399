extension Duration {
    /// The duration as a number of seconds, for messages and summaries.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
