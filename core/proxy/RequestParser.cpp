#include "core/proxy/RequestParser.h"

#include <http_parser.h>

#include <utility>

namespace l402::proxy {
namespace {

bool equalsIgnoringCase(QByteArrayView a, QByteArrayView b)
{
    return a.compare(b, Qt::CaseInsensitive) == 0;
}

} // namespace

bool isHttpToken(QByteArrayView name)
{
    if (name.isEmpty()) {
        return false;
    }
    for (const char ch : name) {
        const bool alnum =
            (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (!alnum && !QByteArrayView("!#$%&'*+-.^_`|~").contains(ch)) {
            return false;
        }
    }
    return true;
}

RequestParser::RequestParser(Limits limits)
    : m_limits(limits)
    , m_parser(std::make_unique<http_parser>())
{
    reset();
}

RequestParser::~RequestParser() = default;

void RequestParser::reset()
{
    http_parser_init(m_parser.get(), HTTP_REQUEST);
    m_parser->data = this;
    m_request = {};
    m_started = false;
    m_headComplete = false;
    m_complete = false;
    m_streaming = false;
    m_announced = false;
    m_failed = false;
    m_errorCode.clear();
    m_errorDetail.clear();
}

void RequestParser::next()
{
    m_complete = false;
    m_started = false;
    m_headComplete = false;
    m_streaming = false;
    m_announced = false;
    http_parser_pause(m_parser.get(), 0);
}

QByteArray RequestParser::takeBody()
{
    return std::exchange(m_request.body, QByteArray());
}

void RequestParser::fail(const char* code)
{
    m_failed = true;
    if (m_errorCode.isEmpty()) {
        m_errorCode = QString::fromLatin1(code);
    }
}

RequestParser::Status RequestParser::feed(QByteArray& input)
{
    if (m_failed) {
        return Status::Error;
    }
    if (m_complete) {
        return Status::Complete;
    }
    if (m_streaming && m_announced && HTTP_PARSER_ERRNO(m_parser.get()) == HPE_PAUSED) {
        http_parser_pause(m_parser.get(), 0); // the caller has taken the head over
    }
    if (input.isEmpty()) {
        return Status::NeedMore;
    }
    const size_t parsed = http_parser_execute(m_parser.get(), &parserSettings(), input.constData(),
                                              static_cast<size_t>(input.size()));
    const auto error = HTTP_PARSER_ERRNO(m_parser.get());
    input.remove(0, static_cast<qsizetype>(parsed));
    if (m_complete) {
        // Paused in on_message_complete (or stopped at a CONNECT's end of head).
        return Status::Complete;
    }
    if (m_streaming && !m_announced) {
        m_announced = true; // paused in on_body: the head goes out first
        return Status::Streaming;
    }
    if (error != HPE_OK || m_failed) {
        fail("bad_request");
        m_errorDetail = QString::fromLatin1(http_errno_description(error));
        input.clear();
        return Status::Error;
    }
    return Status::NeedMore;
}

int RequestParser::onMessageBegin(http_parser* parser)
{
    auto* self = static_cast<RequestParser*>(parser->data);
    self->m_request = {};
    self->m_headerBytes = 0;
    self->m_lastWasValue = false;
    self->m_started = true;
    self->m_headComplete = false;
    return 0;
}

int RequestParser::onUrl(http_parser* parser, const char* at, size_t length)
{
    auto* self = static_cast<RequestParser*>(parser->data);
    self->m_started = true;
    self->m_request.target.append(at, static_cast<qsizetype>(length));
    if (self->m_request.target.size() > self->m_limits.maxTargetBytes) {
        self->fail("headers_too_large");
        return 1;
    }
    return 0;
}

int RequestParser::onHeaderField(http_parser* parser, const char* at, size_t length)
{
    auto* self = static_cast<RequestParser*>(parser->data);
    self->m_headerBytes += static_cast<qsizetype>(length);
    HeaderList& headers = self->m_request.headers;
    if (self->m_lastWasValue || headers.isEmpty()) {
        if (headers.size() >= self->m_limits.maxHeaderFields) {
            self->fail("headers_too_large");
            return 1;
        }
        headers.emplaceBack();
    }
    headers.last().first.append(at, static_cast<qsizetype>(length));
    self->m_lastWasValue = false;
    if (self->m_headerBytes > self->m_limits.maxHeaderBytes) {
        self->fail("headers_too_large");
        return 1;
    }
    return 0;
}

int RequestParser::onHeaderValue(http_parser* parser, const char* at, size_t length)
{
    auto* self = static_cast<RequestParser*>(parser->data);
    self->m_headerBytes += static_cast<qsizetype>(length);
    if (self->m_request.headers.isEmpty()) {
        self->fail("bad_request");
        return 1;
    }
    self->m_request.headers.last().second.append(at, static_cast<qsizetype>(length));
    self->m_lastWasValue = true;
    if (self->m_headerBytes > self->m_limits.maxHeaderBytes) {
        self->fail("headers_too_large");
        return 1;
    }
    return 0;
}

int RequestParser::onHeadersComplete(http_parser* parser)
{
    auto* self = static_cast<RequestParser*>(parser->data);
    Request& request = self->m_request;
    request.method = http_method_str(static_cast<http_method>(parser->method));
    request.httpMinor = parser->http_minor;
    request.keepAlive = http_should_keep_alive(parser) != 0;
    request.isConnect = parser->method == HTTP_CONNECT;
    for (auto& [name, value] : request.headers) {
        value = value.trimmed();
    }
    if (!self->validateHead()) {
        return -1;
    }
    self->m_headComplete = true;
    return 0;
}

bool RequestParser::validateHead()
{
    if (m_parser->http_major != 1 || m_parser->http_minor > 1) {
        fail("unsupported_version");
        return false;
    }
    QList<QByteArray> lengths;
    QList<QByteArray> codings;
    for (const auto& [name, value] : m_request.headers) {
        if (!isHttpToken(name) || value.contains('\0')) {
            fail("bad_request");
            m_errorDetail = QStringLiteral("a header field name is not a token");
            return false;
        }
        if (equalsIgnoringCase(name, "content-length")) {
            lengths.append(value);
        } else if (equalsIgnoringCase(name, "transfer-encoding")) {
            codings.append(value);
        }
    }
    // Request smuggling defences (RFC 9112 §6.1, §6.3): one framing, stated once.
    if ((!codings.isEmpty() && !lengths.isEmpty()) || lengths.size() > 1 || codings.size() > 1 ||
        (codings.size() == 1 && !equalsIgnoringCase(codings.first(), "chunked"))) {
        fail("bad_request");
        m_errorDetail = QStringLiteral("ambiguous message framing");
        return false;
    }
    if (!lengths.isEmpty()) {
        bool ok = false;
        const qint64 length = lengths.first().toLongLong(&ok);
        if (!ok || length < 0) {
            fail("bad_request");
            return false;
        }
    }
    return true;
}

int RequestParser::onBody(http_parser* parser, const char* at, size_t length)
{
    auto* self = static_cast<RequestParser*>(parser->data);
    self->m_request.body.append(at, static_cast<qsizetype>(length));
    if (!self->m_streaming && self->m_request.body.size() > self->m_limits.maxBodyBytes) {
        // Too big to keep for a replay: from here the body streams through.
        self->m_streaming = true;
        http_parser_pause(parser, 1);
    }
    return 0;
}

int RequestParser::onMessageComplete(http_parser* parser)
{
    auto* self = static_cast<RequestParser*>(parser->data);
    self->m_complete = true;
    // One request at a time: the rest stays unparsed until next().
    http_parser_pause(parser, 1);
    return 0;
}

const http_parser_settings& RequestParser::parserSettings()
{
    static const http_parser_settings value = [] {
        http_parser_settings s{};
        s.on_message_begin = &RequestParser::onMessageBegin;
        s.on_url = &RequestParser::onUrl;
        s.on_header_field = &RequestParser::onHeaderField;
        s.on_header_value = &RequestParser::onHeaderValue;
        s.on_headers_complete = &RequestParser::onHeadersComplete;
        s.on_body = &RequestParser::onBody;
        s.on_message_complete = &RequestParser::onMessageComplete;
        return s;
    }();
    return value;
}

} // namespace l402::proxy
