import Glibc

/// A throw-away CA with server and client certificates, made with the `openssl` command in a
/// temporary directory (removed by `remove()`), for the TLS tests of the server and of kvctl.
public struct TLSTestFiles: Sendable {
    public let directory: String
    public var ca: String { directory + "/ca.pem" }
    /// The server's certificate, for IP 127.0.0.1 and DNS localhost, and its key.
    public var cert: String { directory + "/server.pem" }
    public var key: String { directory + "/server-key.pem" }
    /// A key that belongs to no certificate here.
    public var otherKey: String { directory + "/other-key.pem" }
    /// The server's key certified (by the same CA) for other names only: DNS elsewhere.example, IP 10.9.9.9.
    public var wrongHostCert: String { directory + "/wronghost.pem" }
    /// The server's key certified for 127.0.0.1 and localhost, expired yesterday.
    public var expiredCert: String { directory + "/expired.pem" }
    /// A client certificate for "alice" that the CA signed, and one for "mallory" from another CA.
    public var clientCert: String { directory + "/client.pem" }
    public var clientKey: String { directory + "/client-key.pem" }
    public var rogueCert: String { directory + "/rogue.pem" }
    public var rogueKey: String { directory + "/rogue-key.pem" }
    /// A client certificate for "root" that the CA signed (for auth by Common Name).
    public var rootCert: String { directory + "/root.pem" }
    public var rootKey: String { directory + "/root-key.pem" }
    /// The CA that signed `rogueCert` (trusted by no server unless a test adds it).
    public var rogueCA: String { directory + "/rogue-ca.pem" }

    /// After `revokeClient()`: a client certificate for "eve" that the CA signed and then revoked, its
    /// key, the CA's CRL listing it (valid for two days), and the same CRL already past its next
    /// update (issued and due in 2020).
    public var revokedCert: String { directory + "/revoked.pem" }
    public var revokedKey: String { directory + "/revoked-key.pem" }
    public var crl: String { directory + "/crl.pem" }
    public var staleCRL: String { directory + "/stale-crl.pem" }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Nil (after printing why) when the `openssl` command is missing.
    /// - Throws: `Failure` with openssl's output when it fails.
    public static func make(for suite: String) throws -> TLSTestFiles? {
        guard ShellCommand.succeeds("command -v openssl") else {
            print("\(suite): skipped — the openssl command is not installed")
            return nil
        }
        let directory = "/tmp/kv-tls-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
        let script = """
            set -e
            mkdir -p \(directory) && cd \(directory)
            openssl req -x509 \(ec) -keyout ca-key.pem -out ca.pem -days 2 -subj '/CN=kvserver test CA'
            openssl req \(ec) -keyout server-key.pem -out server.csr -subj '/CN=localhost'
            printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > ext.cnf
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server.pem -days 2 -extfile ext.cnf
            openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out other-key.pem
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out expired.pem -days -1 -extfile ext.cnf
            printf 'subjectAltName=DNS:elsewhere.example,IP:10.9.9.9\\n' > elsewhere.cnf
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out wronghost.pem -days 2 -extfile elsewhere.cnf
            openssl req \(ec) -keyout client-key.pem -out client.csr -subj '/CN=alice'
            openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out client.pem -days 2
            openssl req \(ec) -keyout root-key.pem -out root.csr -subj '/CN=root'
            openssl x509 -req -in root.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out root.pem -days 2
            openssl req -x509 \(ec) -keyout rogue-ca-key.pem -out rogue-ca.pem -days 2 -subj '/CN=rogue CA'
            openssl req \(ec) -keyout rogue-key.pem -out rogue.csr -subj '/CN=mallory'
            openssl x509 -req -in rogue.csr -CA rogue-ca.pem -CAkey rogue-ca-key.pem -CAcreateserial -out rogue.pem -days 2
            """
        let run = try ShellCommand.run(script, seconds: 60)
        guard run.status == 0 else { throw Failure(description: "openssl: \(run.output)") }
        return TLSTestFiles(directory: directory)
    }

    /// Makes `revokedCert` and revokes it with `openssl ca` into `crl` and `staleCRL` (separate from
    /// `make`, which every TLS test calls).
    /// - Throws: `Failure` with openssl's output when it fails.
    public func revokeClient() throws {
        let ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
        let ca = "openssl ca -config ca.cnf -cert ca.pem -keyfile ca-key.pem"
        let script = """
            set -e
            cd \(directory)
            openssl req \(ec) -keyout revoked-key.pem -out revoked.csr -subj '/CN=eve'
            openssl x509 -req -in revoked.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out revoked.pem -days 2
            printf '[ca]\\ndefault_ca = test\\n[test]\\ndatabase = index.txt\\ncrlnumber = crlnumber\\ndefault_md = sha256\\ndefault_crl_days = 2\\n' > ca.cnf
            : > index.txt
            echo 01 > crlnumber
            \(ca) -revoke revoked.pem
            \(ca) -gencrl -out crl.pem
            \(ca) -gencrl -crl_lastupdate 20200101000000Z -crl_nextupdate 20200102000000Z -out stale-crl.pem
            """
        let run = try ShellCommand.run(script, seconds: 60)
        guard run.status == 0 else { throw Failure(description: "openssl: \(run.output)") }
    }

    /// After `makeRenewedServer()`: a server certificate for 127.0.0.1 and localhost that the rogue CA
    /// signed, with its own key (what a rotation to another issuer installs).
    public var renewedCert: String { directory + "/renewed.pem" }
    public var renewedKey: String { directory + "/renewed-key.pem" }

    /// Makes `renewedCert` and `renewedKey`. - Throws: `Failure` with openssl's output when it fails.
    public func makeRenewedServer() throws {
        let script = """
            set -e
            cd \(directory)
            openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout renewed-key.pem -out renewed.csr -subj '/CN=localhost'
            openssl x509 -req -in renewed.csr -CA rogue-ca.pem -CAkey rogue-ca-key.pem -CAcreateserial -out renewed.pem -days 2 -extfile ext.cnf
            """
        let run = try ShellCommand.run(script, seconds: 60)
        guard run.status == 0 else { throw Failure(description: "openssl: \(run.output)") }
    }

    /// After `makeShortLivedServer(seconds:)`: the server's key certified for 127.0.0.1 and localhost by
    /// the CA until a few seconds after it was made.
    public var shortLivedCert: String { directory + "/short-lived.pem" }

    /// Makes `shortLivedCert`, valid for `seconds` more (with `openssl ca`, which takes an exact end).
    /// - Throws: `Failure` with openssl's output when it fails.
    public func makeShortLivedServer(seconds: Int) throws {
        let script = """
            set -e
            cd \(directory)
            mkdir -p short-lived-ca && : > short-lived-ca/index.txt && echo 1000 > short-lived-ca/serial
            printf '[ca]\\ndefault_ca = test\\n[test]\\ndatabase = short-lived-ca/index.txt\\nnew_certs_dir = short-lived-ca\\nserial = short-lived-ca/serial\\ndefault_md = sha256\\npolicy = any\\n[any]\\ncommonName = supplied\\n' > short-lived.cnf
            openssl ca -batch -config short-lived.cnf -cert ca.pem -keyfile ca-key.pem -in server.csr -out short-lived.pem \\
                -enddate "$(date -u -d '+\(seconds) seconds' +%y%m%d%H%M%SZ)" -extfile ext.cnf
            """
        let run = try ShellCommand.run(script, seconds: 60)
        guard run.status == 0 else { throw Failure(description: "openssl: \(run.output)") }
    }

    public func remove() { _ = try? ShellCommand.run("rm -rf '\(directory)'") }
}
