import Foundation
import NIOCore
import NIOPosix

/// A TCP server on 127.0.0.1 that answers each request (read up to the blank line after the
/// headers, plus Content-Length body bytes) with scripted raw bytes: a cut-off answer, a
/// malformed one, a good one, or nothing at all (a silent server).
final class RawTCPServer: @unchecked Sendable {
    enum Answer: Sendable {
        /// Write these bytes, then close the connection if `close`.
        case bytes([UInt8], close: Bool)
        /// Never answer (the connection stays open).
        case silent
    }

    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private var channel: Channel?
    private let lock = NSLock()
    private var count = 0
    let script: @Sendable (Int) -> Answer

    /// `script(n)` answers the n-th request (0-based).
    init(script: @escaping @Sendable (Int) -> Answer) throws {
        self.script = script
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.addHandler(Handler(server: self))
            }
        channel = try bootstrap.bind(host: "127.0.0.1", port: 0).wait()
    }

    var port: Int { channel?.localAddress?.port ?? 0 }
    var requests: Int { lock.withLock { count } }

    func next() -> Answer {
        let index: Int = lock.withLock {
            count += 1
            return count - 1
        }
        return script(index)
    }

    func stop() {
        try? channel?.close().wait()
        try? group.syncShutdownGracefully()
    }

    static func response(_ status: Int, body: String, extraHeaders: String = "") -> [UInt8] {
        Array("HTTP/1.1 \(status) OK\r\nContent-Length: \(body.utf8.count)\r\nContent-Type: application/xml\r\n\(extraHeaders)\r\n\(body)".utf8)
    }

    final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let server: RawTCPServer
        var pending: [UInt8] = []

        init(server: RawTCPServer) {
            self.server = server
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            pending += buffer.readBytes(length: buffer.readableBytes) ?? []
            while let end = headerEnd() {
                let head = String(decoding: pending[..<end], as: UTF8.self).lowercased()
                var length = 0
                if let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }) {
                    length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
                }
                guard pending.count >= end + 4 + length else { return }
                pending.removeFirst(end + 4 + length)
                switch server.next() {
                case .silent:
                    return
                case .bytes(let bytes, let close):
                    let out = context.channel.allocator.buffer(bytes: bytes)
                    context.writeAndFlush(wrapOutboundOut(out)).whenComplete { _ in
                        if close { context.close(promise: nil) }
                    }
                    if close { return }
                }
            }
        }

        func headerEnd() -> Int? {
            guard pending.count >= 4 else { return nil }
            for index in 0...(pending.count - 4) where pending[index] == 13 && pending[index + 1] == 10 && pending[index + 2] == 13 && pending[index + 3] == 10
            {
                return index
            }
            return nil
        }
    }
}
