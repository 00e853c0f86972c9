import Glibc
import KVBenchCore

/// kvbench: benchmarks for the store (in process) and the server (over the wire; see KVBenchCore).
/// Every figure is printed as `name: value unit`, one per line.
let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first, !["-h", "--help", "help"].contains(command) else {
    print("""
    usage: kvbench store [--keys N] [--key-size B] [--value-size B] [--seed S] [--only reads|snapshot [--rounds N]]

    store   in-process benchmarks of the KVStore library: put, get, range, txn, and memory per key,
            with a Swift Dictionary doing the same point operations as a baseline in the same run;
            --only reads measures put, get and range only; --only snapshot measures just snapshot
            save, status and restore, --rounds times

    """ + LoadBenchmark.usage + "\n\n" + FuzzCommand.usage)
    exit(arguments.isEmpty ? 2 : 0)
}
if command == "fuzz" {
    if arguments.dropFirst().contains(where: { ["-h", "--help"].contains($0) }) {
        print(FuzzCommand.usage)
        exit(0)
    }
    exit(FuzzCommand.main(Array(arguments.dropFirst())))
}
if let load = LoadCommand(rawValue: command) {
    exit(LoadBenchmark.main(load, Array(arguments.dropFirst())))
}
do {
    var options = try BenchmarkOptions(Array(arguments.dropFirst()))
    switch command {
    case "store":
        let benchmark = try StoreBenchmark(options: &options)
        try options.finish()
        benchmark.run()
    default:
        throw BenchmarkOptions.Failure("unknown benchmark '\(command)' (try: store, put, get, range, txn, watch, fuzz)")
    }
} catch {
    let message = "kvbench: \(error)\n"
    _ = message.withCString { write(2, $0, strlen($0)) }
    exit(2)
}
