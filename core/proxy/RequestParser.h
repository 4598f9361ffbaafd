#pragma once

#include "core/proxy/CurlMulti.h"

#include <QByteArray>
#include <QString>

#include <memory>

struct http_parser;
struct http_parser_settings;

namespace l402::proxy {

// HTTP/1.1 request framing for the proxy: http-parser (Node's former parser, the framing is
// not hand-rolled) plus what it leaves to its user: head size limits, one framing per request
// (no Content-Length with Transfer-Encoding, no repeated Content-Length, no coding other than
// exactly "chunked"), token field names, HTTP/1.0 and 1.1 only. One request at a time: after
// Complete the parser holds until next(), so pipelined requests wait their turn.
class RequestParser {
public:
    struct Limits {
        qsizetype maxTargetBytes = 8 * 1024;
        qsizetype maxHeaderBytes = 32 * 1024;
        int maxHeaderFields = 128;
        qint64 maxBodyBytes = 8 * 1024 * 1024; // kept for replay; larger bodies stream
    };

    struct Request {
        QByteArray method;
        QByteArray target;
        HeaderList headers; // names as sent, values trimmed
        QByteArray body;    // de-chunked
        int httpMinor = 1;
        bool keepAlive = true;
        bool isConnect = false;
    };

    // Streaming: the body outgrew maxBodyBytes. The head and the body so far are in
    // request(); from here the body is handed over piece by piece (takeBody() after each
    // feed) instead of being kept, so such a request cannot be replayed after a payment.
    enum class Status { NeedMore, Complete, Error, Streaming };

    explicit RequestParser(Limits limits);
    ~RequestParser();
    RequestParser(const RequestParser&) = delete;
    RequestParser& operator=(const RequestParser&) = delete;

    // Parses from the front of `input`, removing what it consumed. After Complete, `input`
    // keeps the bytes that follow the request (the next pipelined one, or a tunnel's first
    // bytes after CONNECT).
    Status feed(QByteArray& input);
    const Request& request() const { return m_request; }
    // After Error: a stable code (bad_request, headers_too_large, body_too_large_to_replay,
    // unsupported_version) and what went wrong.
    const QString& errorCode() const { return m_errorCode; }
    const QString& errorDetail() const { return m_errorDetail; }
    // Some bytes of a request have arrived (for the slow-client timeout).
    bool started() const { return m_started; }
    // The request's head is complete (its body may still be arriving).
    bool headComplete() const { return m_headComplete; }

    // While streaming: the body bytes parsed since the last call.
    QByteArray takeBody();
    bool streaming() const { return m_streaming; }

    // Ready for the next request on the same connection.
    void next();
    // A fresh parser (the start of the HTTP stream inside a CONNECT tunnel).
    void reset();

private:
    static const http_parser_settings& parserSettings();
    static int onMessageBegin(http_parser* parser);
    static int onUrl(http_parser* parser, const char* at, size_t length);
    static int onHeaderField(http_parser* parser, const char* at, size_t length);
    static int onHeaderValue(http_parser* parser, const char* at, size_t length);
    static int onHeadersComplete(http_parser* parser);
    static int onBody(http_parser* parser, const char* at, size_t length);
    static int onMessageComplete(http_parser* parser);
    bool validateHead();
    void fail(const char* code);

    Limits m_limits;
    std::unique_ptr<http_parser> m_parser;
    Request m_request;
    bool m_lastWasValue = false;
    qsizetype m_headerBytes = 0;
    bool m_started = false;
    bool m_headComplete = false;
    bool m_complete = false;
    bool m_streaming = false; // this request's body is handed over, not kept
    bool m_announced = false; // Streaming was returned once
    bool m_failed = false;
    QString m_errorCode;
    QString m_errorDetail;
};

// RFC 9110 §5.6.2: a field name must be a token.
bool isHttpToken(QByteArrayView name);

} // namespace l402::proxy
