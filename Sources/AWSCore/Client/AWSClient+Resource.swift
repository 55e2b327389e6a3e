import Foundation

/// Naming what a failed request was about, for messages.
extension AWSClient {
    /// What a request was about, by its service's description (`ServiceInfo.resourceMembers`,
    /// `resourcePath`), for messages: the client itself knows no service.
    static func resource(of request: HTTPRequest, service: ServiceInfo) -> String? {
        if case .bytes(let bytes) = request.body, !service.resourceMembers.isEmpty, let object = try? JSONValue.decode(bytes) {
            for named in service.resourceMembers {
                if let value = object[named.member]?.stringValue { return "\(named.kind) \(value)" }
            }
        }
        if let path = service.resourcePath {
            let segments = request.path.split(separator: "/")
            if let index = segments.firstIndex(of: Substring(path.member)), index + 1 < segments.count { return "\(path.kind) \(segments[index + 1])" }
        }
        return nil
    }
}
