/// Why a dialog cannot be created from a request/response pair.
public enum DialogError: Error, Hashable, Sendable {
    /// Only 101-299 responses to INVITE create dialogs (RFC 3261 §12.1).
    case responseCreatesNoDialog(statusCode: Int)
    /// An early dialog needs a To tag in the provisional response (RFC 3261 §12.1).
    case missingRemoteTag
    /// The INVITE's From has no tag, which every UAC request must carry (RFC 3261 §8.1.1.3).
    case missingLocalTag
    /// The request lacks a header the dialog state is built from (RFC 3261 §12.1.2).
    case missingHeader(String)
}

/// A dialog seen from the UAC side (RFC 3261 §12).
public struct Dialog: Hashable, Sendable {
    /// RFC 3261 §12 dialog states.
    public enum State: Hashable, Sendable {
        case early, confirmed
    }

    /// Early until a 2xx arrives.
    public private(set) var state: State
    /// The Call-ID.
    public let callID: String
    /// Our From address including our tag.
    public let local: SIPAddress
    /// The peer's To address including its tag, when it sent one.
    public private(set) var remote: SIPAddress
    /// The CSeq number of the last request we sent in the dialog.
    public private(set) var localSequenceNumber: UInt32
    /// The highest CSeq number the peer has used, once it has sent a request (RFC 3261 §12.2.2).
    public private(set) var remoteSequenceNumber: UInt32?
    /// The peer's Contact URI, where in-dialog requests go.
    public private(set) var remoteTarget: AnyURI {
        didSet { remoteTargetText = remoteTarget.description }
    }
    /// `remoteTarget` rendered once, for the Request-URI of every request in the dialog.
    private var remoteTargetText: String
    /// Record-Route values reversed (RFC 3261 §12.1.2).
    public private(set) var routeSet: [SIPAddress]
    /// Whether the INVITE's Request-URI was a SIPS URI (RFC 3261 §12.1.2).
    public let isSecure: Bool
    // From and To of every request in the dialog, rendered once.
    private let localHeader: String
    private let remoteHeader: String

    /// Our tag.
    public var localTag: String { local.tag ?? "" }
    /// The peer's tag; nil for an RFC 2543 peer that sent none (RFC 3261 §12.1.2).
    public var remoteTag: String? { remote.tag }

    /// Creates the UAC's dialog from the INVITE we sent and a 101-299 response to it (RFC 3261 §12.1.2).
    public init(invite: SIPRequest, response: SIPResponse) throws(DialogError) {
        guard (101...299).contains(response.statusCode), response.cseq?.method == .invite else {
            throw .responseCreatesNoDialog(statusCode: response.statusCode)
        }
        guard let callID = invite.callID else { throw .missingHeader("Call-ID") }
        guard let local = invite.from else { throw .missingHeader("From") }
        guard local.tag != nil else { throw .missingLocalTag }
        guard let remote = invite.to else { throw .missingHeader("To") }
        guard let cseq = invite.cseq else { throw .missingHeader("CSeq") }
        if response.isProvisional, response.to?.tag == nil { throw .missingRemoteTag }
        self.init(callID: callID, local: local, remote: remote, sequenceNumber: cseq.sequenceNumber, requestURI: invite.uri, response: response)
    }

    /// The dialog state of RFC 3261 §12.1.2, from parts the caller already holds. `localText` is `local`
    /// as the INVITE's From carried it and `remoteText` is `remote` (which has no tag) as its To carried
    /// it, when the caller has them rendered already; otherwise they are rendered here.
    init(
        callID: String, local: SIPAddress, localText: String? = nil, remote: SIPAddress, remoteText: String? = nil,
        sequenceNumber: UInt32, requestURI: AnyURI, response: SIPResponse
    ) {
        self.state = response.isSuccess ? .confirmed : .early
        self.callID = callID
        self.local = local
        self.remote = remote
        self.remote.tag = response.to?.tag
        self.localSequenceNumber = sequenceNumber
        self.remoteSequenceNumber = nil
        // RFC 3261 §12.1.2: the remote target is the Contact of the response; a peer that omits it keeps the Request-URI.
        self.remoteTarget = response.contacts.first?.uri ?? requestURI
        self.remoteTargetText = remoteTarget.description
        // RFC 3261 §12.1.2: the UAC's route set is the Record-Route list in reverse order.
        self.routeSet = response.recordRoutes.reversed()
        self.isSecure = requestURI.sipURI?.isSecure ?? false
        self.localHeader = localText ?? local.description
        if let remoteText, remote.tag == nil {
            // RFC 3261 §12.2.1.1: To is the remote URI with the remote tag; the tag is the only change.
            self.remoteHeader = self.remote.tag.map { String(concatenating: remoteText, ";tag=", $0) } ?? remoteText
        } else {
            self.remoteHeader = self.remote.description
        }
    }

    /// Whether the response belongs to this dialog: same Call-ID, our From tag, and the peer's To tag.
    public func matches(_ response: SIPResponse) -> Bool {
        response.callID == callID && response.from?.tag == localTag && response.to?.tag == remoteTag
    }

    /// Whether an incoming request belongs to this dialog (RFC 3261 §12.2.2): its From tag is the
    /// peer's and its To tag is ours.
    public func matches(_ request: SIPRequest) -> Bool {
        request.callID == callID && request.to?.tag == localTag && request.from?.tag == remoteTag
    }

    /// Confirms an early dialog with its 2xx: the route set and remote target come from the 2xx
    /// (RFC 3261 §13.2.2.4, §12.2.1.2).
    public mutating func confirm(with response: SIPResponse) {
        guard response.isSuccess, matches(response) else { return }
        state = .confirmed
        routeSet = response.recordRoutes.reversed()
        if let target = response.contacts.first?.uri { remoteTarget = target }
    }

    /// Builds the next request in the dialog (RFC 3261 §12.2.1.1), incrementing the local CSeq.
    public mutating func makeRequest(_ method: SIPMethod, via: Via, maxForwards: Int = 70) -> SIPRequest {
        makeRequest(method, viaText: via.description, maxForwards: maxForwards)
    }

    /// `makeRequest(_:via:maxForwards:)` with the Via given as its header text, for a caller that renders it.
    mutating func makeRequest(_ method: SIPMethod, viaText: String, maxForwards: Int = 70) -> SIPRequest {
        localSequenceNumber &+= 1
        return buildRequest(method, sequenceNumber: localSequenceNumber, viaText: viaText, maxForwards: maxForwards)
    }

    /// Builds the ACK for a 2xx to `invite` (RFC 3261 §13.2.2.4): in-dialog routing, the INVITE's CSeq
    /// number with method ACK, a new branch in `via`, and the INVITE's credentials.
    public func makeACK(for invite: SIPRequest, via: Via, maxForwards: Int = 70) -> SIPRequest {
        makeACK(for: invite, viaText: via.description, maxForwards: maxForwards)
    }

    /// `makeACK(for:via:maxForwards:)` with the Via given as its header text, for a caller that renders it.
    func makeACK(for invite: SIPRequest, viaText: String, maxForwards: Int = 70) -> SIPRequest {
        let credentials = invite.headers.filter { $0.name == .authorization || $0.name == .proxyAuthorization }
        return buildRequest(
            .ack, sequenceNumber: invite.cseq?.sequenceNumber ?? localSequenceNumber, viaText: viaText,
            maxForwards: maxForwards, credentials: credentials)
    }

    /// The ACK for a 2xx to the INVITE with CSeq `sequenceNumber` that carried `authorization`, for a caller
    /// that knows both without reading the INVITE again.
    func makeACK(sequenceNumber: UInt32, authorization: SIPHeaders.Field?, viaText: String) -> SIPRequest {
        buildRequest(.ack, sequenceNumber: sequenceNumber, viaText: viaText, maxForwards: 70, credentials: authorization.map { [$0] } ?? [])
    }

    /// Answers a request the peer sent in this dialog (RFC 3261 §12.2.2). A BYE is accepted with 200
    /// (RFC 3261 §15.1.2); a request out of CSeq order gets 500; a request for another dialog gets 481.
    /// OPTIONS gets 200 (RFC 3261 §11.2); other methods get 501 Not Implemented.
    public mutating func respond(to request: SIPRequest) -> SIPResponse {
        guard matches(request), let cseq = request.cseq else {
            return SIPResponse(replyingTo: request, statusCode: 481)
        }
        // RFC 3261 §12.2.2: a lower CSeq than the last one seen is out of order.
        if let remoteSequenceNumber, cseq.sequenceNumber < remoteSequenceNumber {
            return SIPResponse(replyingTo: request, statusCode: 500)
        }
        remoteSequenceNumber = cseq.sequenceNumber
        switch request.method {
        case .bye, .options:
            return SIPResponse(replyingTo: request, statusCode: 200)
        default:
            return SIPResponse(replyingTo: request, statusCode: 501)
        }
    }

    /// A request in the dialog (RFC 3261 §12.2.1.1), written as bytes; its parts are built from the same
    /// fields only if read.
    private func buildRequest(
        _ method: SIPMethod, sequenceNumber: UInt32, viaText: String, maxForwards: Int, credentials: [SIPHeaders.Field] = []
    ) -> SIPRequest {
        let (uri, uriText, routes) = requestTarget()
        let fields = RequestFields(
            via: viaText, maxForwards: maxForwards == 70 ? "70" : String(maxForwards), from: localHeader, to: remoteHeader,
            callID: callID, cseq: CSeq(sequenceNumber, method).description, routes: routes.map(\.description),
            credentials: credentials)
        return SIPRequest.written(method, uri: uri, uriText: uriText, fields: fields)
    }

    // RFC 3261 §12.2.1.1: Request-URI (and its text) and Route set for loose and strict routers.
    private func requestTarget() -> (uri: AnyURI, uriText: String, routes: [SIPAddress]) {
        guard let first = routeSet.first else { return (remoteTarget, remoteTargetText, []) }
        if first.uri.sipURI?.isLooseRouter ?? false {
            return (remoteTarget, remoteTargetText, routeSet)
        }
        // Strict router: it becomes the Request-URI (minus what §19.1.1 Table 1 forbids there) and the
        // remote target is appended as the last route.
        var uri = first.uri
        if case .sip(var sipURI) = uri {
            sipURI.parameters.remove("method")
            sipURI.headers = []
            uri = .sip(sipURI)
        }
        return (uri, uri.description, Array(routeSet.dropFirst()) + [SIPAddress(uri: remoteTarget)])
    }
}
