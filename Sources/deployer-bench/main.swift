// Benchmark driver for Tests/Benchmarks/sigv4.sh: prints machine-readable figures only.
// Usage: deployer-bench sign VECTORS.json SECONDS | sha256 MEGABYTES | upload FILE BUCKET KEY
//        (upload: S3 endpoint and keys from AWS_ENDPOINT_URL_S3 / AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)
import AWSCore
import AWSTestSupport
import Crypto
import DeployKit
import Foundation
import SigV4

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data(("deployer-bench: " + message + "\n").utf8))
    exit(2)
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else { fail("usage: deployer-bench sign VECTORS.json SECONDS | sha256 MEGABYTES") }

switch arguments[1] {
case "sign":
    guard let file = try? BotocoreVectorFile.load(URL(fileURLWithPath: arguments[2])) else { fail("cannot read vectors \(arguments[2])") }
    let seconds = arguments.count > 3 ? Double(arguments[3]) ?? 3 : 3
    // The same requests botocore signs; the body hash is part of signing for both.
    let prepared: [(SigV4Signer, SigningRequest, Payload, Date)] = file.cases.map { item in
        (item.signer, item.request, .bytes(item.body ?? []), item.date ?? Date())
    }
    // A fast wrong signer is no result: every signature must equal botocore's first.
    for ((signer, request, payload, date), item) in zip(prepared, file.cases) {
        let authorization = signer.sign(request, payload: payload, at: date).request.header("Authorization")
        if authorization != item.authorization {
            fail("signature differs from botocore's for a \(item.service) \(item.method) request: not timing a wrong signer")
        }
    }
    var count = 0
    var sink = 0
    let start = Date()
    while Date().timeIntervalSince(start) < seconds {
        for (signer, request, payload, date) in prepared {
            sink &+= signer.sign(request, payload: payload, at: date).signature.utf8.count
        }
        count += prepared.count
    }
    let elapsed = Date().timeIntervalSince(start)
    print("signatures=\(count) seconds=\(String(format: "%.3f", elapsed)) per_second=\(Int(Double(count) / elapsed)) sink=\(sink % 10)")
case "sha256":
    let megabytes = Int(arguments[2]) ?? 512
    let buffer = [UInt8](repeating: 0x61, count: megabytes << 20)
    var best = Double.infinity
    var digest = ""
    for _ in 0..<3 {
        let start = Date()
        digest = PayloadHash.hex(buffer)
        best = min(best, Date().timeIntervalSince(start))
    }
    print(
        "bytes=\(buffer.count) seconds=\(String(format: "%.4f", best)) gb_per_second=\(String(format: "%.3f", Double(buffer.count) / best / 1e9)) digest=\(digest.prefix(16))"
    )
case "upload":
    guard arguments.count >= 5 else { fail("usage: deployer-bench upload FILE BUCKET KEY") }
    let environment = ProcessInfo.processInfo.environment
    guard let key = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"] else {
        fail("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
    }
    let transport = try AsyncHTTPTransport()
    let client = AWSClient(
        configuration: AWSConfiguration(region: "us-east-1", endpoints: EndpointResolver(region: "us-east-1", environment: environment)),
        transport: transport, credentials: StaticCredentialProvider(Credentials(accessKeyId: key, secretAccessKey: secret)))
    let start = Date()
    // Tuning knobs for exploring the uploader's settings; the defaults are the product's.
    var uploader = S3Uploader()
    if let value = environment["BENCH_THRESHOLD_MB"].flatMap(UInt64.init) { uploader.multipartThreshold = value << 20 }
    if let value = environment["BENCH_PART_MB"].flatMap(UInt64.init) { uploader.partSize = value << 20 }
    if let value = environment["BENCH_CONCURRENCY"].flatMap(Int.init) { uploader.concurrency = value }
    if let value = environment["BENCH_CHUNK_KB"].flatMap(Int.init) { uploader.chunkSize = value << 10 }
    try await uploader.upload(s3: S3Client(client: client), bucket: arguments[3], key: arguments[4], path: arguments[2], ifAbsent: false, progress: nil)
    print("seconds=\(String(format: "%.3f", Date().timeIntervalSince(start)))")
    try await transport.shutdown()
default:
    fail("unknown mode \(arguments[1])")
}
