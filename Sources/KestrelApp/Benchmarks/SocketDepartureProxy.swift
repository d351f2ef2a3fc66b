import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc

/// A TCP proxy on 127.0.0.1, in front of the fake venue, that notes when each request left the client's socket.
///
/// The kernel stamps every packet it receives on a socket with `SO_TIMESTAMPNS`, and on loopback a packet is received
/// within the system call that sends it: the stamp is the moment the request's bytes left Kestrel. Neither the
/// proxy's wake-up nor the fake server's parsing is in it, as they would be in a time taken where the request is
/// read. The proxy forwards both ways unchanged; it adds its own hop to the answers, which no measure here includes.
final class SocketDepartureProxy: Sendable {
    /// A request as it left the client: its first line ("POST /api/v1/orders HTTP/1.1") and the kernel's stamp,
    /// nanoseconds of `CLOCK_REALTIME`.
    struct Departure: Sendable {
        var requestLine: String
        var nanoseconds: Int64
    }

    /// Linux's `SO_TIMESTAMPNS` (the macro is not imported: it picks one of two values by the size of `time_t`; this
    /// is the one for 64-bit `time_t`, with a `timespec` of two 64-bit fields in the control message).
    private static let timestampOption: Int32 = 35

    let port: Int
    private let listener: Int32
    private let target: Int
    private let departures = Mutex<[Departure]>([])
    private let sockets = Mutex<Set<Int32>>([])

    /// Listens on a free port of 127.0.0.1 and forwards every connection to `target` on 127.0.0.1.
    init(forwardingTo target: Int) throws {
        self.target = target
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw Self.failure("socket") }
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(listener, 64) == 0 else {
            close(listener)
            throw Self.failure("bind or listen")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        self.listener = listener
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in acceptConnections() }
    }

    /// Every request that has left so far, oldest first.
    var recorded: [Departure] { departures.withLock { $0 } }

    /// Stops listening and closes every connection.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for socket in sockets.withLock({ Array($0) }) { shutdown(socket, Int32(SHUT_RDWR)) }
    }

    /// `CLOCK_REALTIME` now, in nanoseconds, to compare with a departure's stamp.
    static func wallNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    private func acceptConnections() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            var on: Int32 = 1
            setsockopt(client, SOL_SOCKET, Self.timestampOption, &on, socklen_t(MemoryLayout<Int32>.size))
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: target)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard upstream >= 0, connected == 0 else {
                close(client)
                if upstream >= 0 { close(upstream) }
                continue
            }
            setsockopt(upstream, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
            sockets.withLock { $0.formUnion([client, upstream]) }
            Thread.detachNewThread { [self] in forward(from: client, to: upstream, stamped: true) }
            Thread.detachNewThread { [self] in forward(from: upstream, to: client, stamped: false) }
        }
    }

    /// Copies `source` to `destination` until either closes; with `stamped`, notes each request line and its stamp.
    private func forward(from source: Int32, to destination: Int32, stamped: Bool) {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var control = [UInt8](repeating: 0, count: 128)
        while true {
            var stamp: Int64?
            let count = buffer.withUnsafeMutableBytes { bytes in
                control.withUnsafeMutableBytes { controlBytes in
                    var vector = iovec(iov_base: bytes.baseAddress, iov_len: bytes.count)
                    return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                        var message = msghdr()
                        message.msg_iov = vectorPointer
                        message.msg_iovlen = 1
                        message.msg_control = controlBytes.baseAddress
                        message.msg_controllen = controlBytes.count
                        let count = recvmsg(source, &message, 0)
                        // One control message: cmsghdr (a length of 8 bytes, level and type of 4), then the timespec.
                        if count > 0, message.msg_controllen >= 32,
                           controlBytes.load(fromByteOffset: 8, as: Int32.self) == SOL_SOCKET,
                           controlBytes.load(fromByteOffset: 12, as: Int32.self) == Self.timestampOption {
                            let seconds = controlBytes.load(fromByteOffset: 16, as: Int64.self)
                            let nanoseconds = controlBytes.load(fromByteOffset: 24, as: Int64.self)
                            stamp = seconds * 1_000_000_000 + nanoseconds
                        }
                        return count
                    }
                }
            }
            if count <= 0 { break }
            if stamped, let stamp, let line = Self.requestLine(buffer.prefix(count)) {
                departures.withLock { $0.append(Departure(requestLine: line, nanoseconds: stamp)) }
            }
            var written = 0
            while written < count {
                let sent = buffer.withUnsafeBytes { send(destination, $0.baseAddress! + written, count - written, Int32(MSG_NOSIGNAL)) }
                if sent <= 0 { break }
                written += sent
            }
            if written < count { break }
        }
        shutdown(source, Int32(SHUT_RDWR))
        shutdown(destination, Int32(SHUT_RDWR))
        _ = sockets.withLock { $0.remove(source) }
    }

    /// The first line of a chunk that begins a request ("GET /…", "POST /…"), or nil for one that continues one.
    private static func requestLine(_ bytes: ArraySlice<UInt8>) -> String? {
        guard let space = bytes.firstIndex(of: UInt8(ascii: " ")), space > bytes.startIndex,
              bytes[bytes.startIndex..<space].allSatisfy({ $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }),
              bytes.index(after: space) < bytes.endIndex, bytes[bytes.index(after: space)] == UInt8(ascii: "/")
        else { return nil }
        let end = bytes.firstIndex(of: UInt8(ascii: "\r")) ?? bytes.endIndex
        return String(decoding: bytes[bytes.startIndex..<end], as: UTF8.self)
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    private static func failure(_ call: String) -> any Error {
        KuCoinTradingBenchmark.Failure(description: "the loopback proxy's \(call) failed: \(String(cString: strerror(errno)))")
    }
}
#endif
