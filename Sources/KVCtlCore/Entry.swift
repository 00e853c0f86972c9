#if canImport(Glibc)
import Glibc
#endif

/// The process entry point for the `kvctl` executable.
public enum KVCtlMain {
    public static func main() -> Int32 {
        let arguments = CommandLine.arguments
        var environment: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") {
                environment[String(text[..<eq])] = String(text[text.index(after: eq)...])
            }
            p += 1
        }
        let console = Console.standard()
        // KVCTL_WIRE=grpc speaks etcd's gRPC API from the start; otherwise the line protocol, falling
        // back to gRPC for an endpoint that does not speak it (etcd itself).
        var connector: Connector = ClientBackend.connect
        if environment["KVCTL_WIRE"] == "grpc" { connector = GRPCBackend.connect }
        let status = KVCtl.run(Array(arguments.dropFirst()), program: KVCtl.programName(argv0: arguments.first ?? "kvctl"),
                               environment: environment, console: console, connector: connector)
        console.flush()
        return status
    }
}
