import AWSCore
import ArgumentParser
import Foundation
import SigV4

struct Sign: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign a raw HTTP/1.1 request with SigV4 and print it (debugging SignatureDoesNotMatch).",
        discussion: """
            Reads the request (request line, headers, blank line, body) from FILE or standard input. The time is \
            --date, else the request's X-Amz-Date header, else now. Existing Authorization, X-Amz-Date, \
            X-Amz-Security-Token and x-amz-content-sha256 headers are replaced. The printed signature is real; \
            the secret key never appears and a session token is shown as <redacted>.
            """
    )

    @Argument(help: "File holding the raw request; '-' or omitted reads standard input.")
    var file: String?

    @Option(help: "Service signing name (e.g. s3, glue, sts); inferred from the Host header when omitted.")
    var service: String?

    @Option(help: "Fixed signing time: 20150830T123600Z or 2015-08-30T12:36:00Z.")
    var date: String?

    @Flag(help: "Sign with query parameters and print the presigned request and URL.")
    var presign = false

    @Option(help: "Presigned URL lifetime in seconds (1 to 604800).")
    var expires = 3600

    @Flag(help: "Use UNSIGNED-PAYLOAD instead of the body's SHA-256.")
    var unsignedPayload = false

    @Flag(help: "Keep '.', '..' and '//' in the path (S3 never normalises).")
    var noNormalizePath = false

    @Flag(help: "Also print the canonical request and the string to sign.")
    var explain = false

    @OptionGroup var aws: AWSFlags

    func validate() throws {
        guard (1...604_800).contains(expires) else {
            throw ValidationError("--expires must be between 1 and 604800 seconds")
        }
    }

    func run() async throws {
        do {
            try await signAndPrint()
        } catch let failure as CommandFailure {
            printError(failure.description)
            throw ExitCode(1)
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
    }

    func signAndPrint() async throws {
        let input: Data
        let name = file ?? "-"
        if name == "-" {
            input = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let data = FileManager.default.contents(atPath: name) else {
                throw CommandFailure("cannot read request file \(name): check the path")
            }
            input = data
        }
        let raw: RawHTTPRequest
        do {
            raw = try RawHTTPRequest.parse(Array(input))
        } catch {
            throw CommandFailure("\(name): \(error)")
        }
        guard let host = raw.headers.first(where: { $0.name.lowercased() == "host" })?.value else {
            throw CommandFailure("\(name): the request has no Host header: add 'Host: service.region.amazonaws.com'")
        }
        let inferred = HostInference.infer(host)
        guard let service = service ?? inferred.service else {
            throw CommandFailure("cannot infer the service from Host '\(host)': pass --service")
        }
        let setup = AWSSetup(options: aws.options)
        let region = (try? setup.region()) ?? inferred.region
        guard let region else {
            throw CommandFailure("cannot infer the region from Host '\(host)': pass --region")
        }
        let instant = try signingTime(raw)
        let transport = try AsyncHTTPTransport(caBundlePath: setup.caBundlePath)
        defer { Task { try? await transport.shutdown() } }
        guard let resolved = try await setup.credentialChain(transport: transport, region: region).resolve() else {
            throw CommandFailure(
                "no AWS credentials found: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or pass --access-key-id/--secret-access-key")
        }
        var options = SigV4Signer.Options.forService(service)
        if noNormalizePath { options.uriRules.normalize = false }
        // A request that carries x-amz-content-sha256 asks for it to be signed with the body's
        // hash, for any service (aws-c-auth's "signed body header"), not dropped as stale.
        if raw.headers.contains(where: { $0.name.lowercased() == "x-amz-content-sha256" }) { options.addContentSHA256Header = true }
        let signer = SigV4Signer(
            credentials: resolved.credentials, region: host == "sts.amazonaws.com" ? "us-east-1" : region, service: service, options: options)
        let payload: Payload = unsignedPayload ? .unsigned : .bytes(raw.body)
        let result =
            presign
            ? signer.presign(raw.signingRequest, expires: expires, payload: unsignedPayload || service == "s3" ? .unsigned : payload, at: instant)
            : signer.sign(raw.signingRequest, payload: payload, at: instant)
        let token = resolved.credentials.sessionToken
        func redact(_ text: String) -> String {
            guard let token, !token.isEmpty else { return text }
            return text.replacingOccurrences(of: token, with: "<redacted>")
                .replacingOccurrences(of: URIEncoding.encodeComponent(token), with: "<redacted>")
        }
        if explain {
            print("# canonical request")
            print(redact(result.canonicalRequest.text))
            print("# string to sign")
            print(result.stringToSign)
            print("# signed request")
        }
        let rendered = RawHTTPRequest.render(result.request, version: raw.version, body: raw.body)
        print(redact(String(decoding: rendered, as: UTF8.self)), terminator: "")
        if presign {
            let scheme = host.hasSuffix(":80") || host.hasPrefix("localhost") || host.hasPrefix("127.") ? "http" : "https"
            print("# url")
            print(redact("\(scheme)://\(host)\(result.request.target)"))
        }
    }

    func signingTime(_ raw: RawHTTPRequest) throws -> Date {
        if let date {
            if let parsed = AMZDate.parse(date) { return parsed }
            let formatter = ISO8601DateFormatter()
            if let parsed = formatter.date(from: date) { return parsed }
            throw CommandFailure("--date '\(date)' is not 20150830T123600Z or 2015-08-30T12:36:00Z")
        }
        if let header = raw.headers.first(where: { $0.name.lowercased() == "x-amz-date" })?.value {
            guard let parsed = AMZDate.parse(header) else {
                throw CommandFailure("the request's X-Amz-Date '\(header)' is not of the form 20150830T123600Z: fix it or pass --date")
            }
            return parsed
        }
        return Date()
    }
}
