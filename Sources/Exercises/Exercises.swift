// Placeholder until the Exercises module lands.
