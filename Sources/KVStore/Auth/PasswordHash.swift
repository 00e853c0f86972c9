/// A password stored as PBKDF2-HMAC-SHA256 with a random salt; the password itself is never kept.
public struct PasswordHash: Hashable, Sendable {
    public let salt: [UInt8]
    public let iterations: Int
    public let digest: [UInt8]

    /// Iterations for new hashes: slow enough to make guessing expensive (~5 ms here), fast enough
    /// for an interactive login.
    public static let defaultIterations = 10_000

    public init(password: String, iterations: Int = PasswordHash.defaultIterations) {
        var generator = SystemRandomNumberGenerator()
        salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        self.iterations = iterations
        digest = PBKDF2.deriveKey(password: Array(password.utf8), salt: salt, iterations: iterations, keyLength: 32)
    }

    public init(salt: [UInt8], iterations: Int, digest: [UInt8]) {
        self.salt = salt
        self.iterations = iterations
        self.digest = digest
    }

    /// Whether `password` matches, comparing in constant time.
    public func matches(_ password: String) -> Bool {
        let candidate = PBKDF2.deriveKey(password: Array(password.utf8), salt: salt, iterations: iterations, keyLength: digest.count)
        var difference: UInt8 = 0
        for (a, b) in zip(candidate, digest) { difference |= a ^ b }
        return difference == 0 && candidate.count == digest.count
    }
}
