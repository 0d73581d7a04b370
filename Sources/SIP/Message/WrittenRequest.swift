/// The header values of a request the call engine writes: Via, Max-Forwards, From, To, Call-ID, CSeq,
/// Contact, Route and credentials, in sending order (RFC 3261 §8.1.1, §12.2.1.1).
struct RequestFields: Hashable, Sendable {
    var via, maxForwards, from, to, callID, cseq: String
    var contact: String? = nil
    var routes: [String] = []
    var credentials: [SIPHeaders.Field] = []

    /// Each field in sending order, for both the bytes and the parts of the request.
    func forEach(_ body: (SIPHeaderName, String) -> Void) {
        body(.via, via)
        body(.maxForwards, maxForwards)
        body(.from, from)
        body(.to, to)
        body(.callID, callID)
        body(.cseq, cseq)
        if let contact { body(.contact, contact) }
        for route in routes { body(.route, route) }
        for field in credentials { body(field.name, field.value) }
    }

    /// About how many bytes the fields take on the wire.
    var count: Int {
        var total = 0
        forEach { _, value in total += value.utf8.count + 24 }
        return total
    }
}

extension SIPRequest {
    /// A request written as bytes: `fields`, then `trailer` (the serialized `trailerFields`), then `body`.
    /// Its parts are built from the same values only if read or changed.
    ///
    /// The values are consumed: the written request keeps them without copying their strings.
    static func written(
        _ method: SIPMethod, uri: consuming AnyURI, uriText: consuming String, fields: consuming RequestFields,
        trailer: [UInt8] = [], trailerFields: consuming SIPHeaders = SIPHeaders(), body: consuming [UInt8] = []
    ) -> SIPRequest {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(uriText.utf8.count + fields.count + trailer.count + body.count + 64)
        appendRequestLine(method, uriText, to: &bytes)
        bytes.append(0x0D)
        bytes.append(0x0A)
        fields.forEach { name, value in SIPSerializer.appendField(name, value, to: &bytes) }
        bytes.append(contentsOf: trailer)
        SIPSerializer.appendBody(body, to: &bytes)
        return SIPRequest(written: Written(
            method: method, bytes: bytes, uri: uri, uriText: uriText, fields: fields, trailerFields: trailerFields, body: body))
    }
}

extension SIPRequest.Written {
    /// Builds the request field by field; it serializes to `bytes`.
    func model() -> SIPRequest {
        var headers = SIPHeaders()
        headers.reserveCapacity(10 + fields.routes.count + fields.credentials.count + trailerFields.count)
        fields.forEach { name, value in headers.append(name, value) }
        for field in trailerFields { headers.appendElement(field) }
        return SIPRequest(method: method, uri: uri, uriText: uriText, headers: headers, body: body)
    }
}
