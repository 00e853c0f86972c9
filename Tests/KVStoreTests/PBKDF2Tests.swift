import Testing
@testable import KVStore

@Suite struct PBKDF2Tests {
    /// RFC 7914 §11 (PBKDF2-HMAC-SHA256 section) and the widely published RFC 6070-style inputs with SHA-256.
    static let vectors: [(password: String, salt: String, iterations: Int, key: String)] = [
        ("passwd", "salt", 1,
         "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
             + "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"),
        ("Password", "NaCl", 80000,
         "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
             + "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"),
        ("password", "salt", 1, "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"),
        ("password", "salt", 2, "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43"),
        ("password", "salt", 4096, "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"),
        ("passwordPASSWORDpassword", "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096,
         "348c89dbcbd32b2f32d814b8116e84cf2b17347ebc1800181c4e2a1fb8dd53e1c635518c7dac47e9"),
    ]

    @Test(arguments: vectors)
    func knownKey(password: String, salt: String, iterations: Int, key: String) {
        let derived = PBKDF2.deriveKey(
            password: Array(password.utf8), salt: Array(salt.utf8), iterations: iterations,
            keyLength: key.utf8.count / 2)
        #expect(Hex.encode(derived) == key)
    }

    @Test func shorterKeysArePrefixes() {
        let full = PBKDF2.deriveKey(password: Array("pw".utf8), salt: Array("s".utf8), iterations: 3, keyLength: 70)
        for length in [0, 1, 31, 32, 33, 64, 65] {
            let short = PBKDF2.deriveKey(
                password: Array("pw".utf8), salt: Array("s".utf8), iterations: 3, keyLength: length)
            #expect(short == Array(full.prefix(length)), "length \(length)")
        }
    }
}
