#include "core/http/HttpServer.h"

#include <QJsonObject>
#include <QSslServer>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

#include <http_parser.h>

namespace l402::http {

namespace {

bool sameName(QByteArrayView a, QByteArrayView b)
{
    return a.compare(b, Qt::CaseInsensitive) == 0;
}

bool hasField(const HttpHeaders& headers, QByteArrayView name)
{
    for (const auto& [field, value] : headers) {
        if (sameName(field, name)) {
            return true;
        }
    }
    return false;
}

// True when a Connection field lists the `close` option.
bool asksToClose(const HttpHeaders& headers)
{
    for (const auto& [field, value] : headers) {
        if (!sameName(field, "Connection")) {
            continue;
        }
        for (const QByteArray& option : value.split(',')) {
            if (sameName(option.trimmed(), "close")) {
                return true;
            }
        }
    }
    return false;
}

// 1xx, 204 and 304 responses never carry a body (RFC 9112 section 6.3).
bool allowsBody(int status)
{
    return status >= 200 && status != 204 && status != 304;
}

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200:
        return QByteArrayLiteral("OK");
    case 201:
        return QByteArrayLiteral("Created");
    case 202:
        return QByteArrayLiteral("Accepted");
    case 204:
        return QByteArrayLiteral("No Content");
    case 301:
        return QByteArrayLiteral("Moved Permanently");
    case 302:
        return QByteArrayLiteral("Found");
    case 304:
        return QByteArrayLiteral("Not Modified");
    case 400:
        return QByteArrayLiteral("Bad Request");
    case 401:
        return QByteArrayLiteral("Unauthorized");
    case 402:
        return QByteArrayLiteral("Payment Required");
    case 403:
        return QByteArrayLiteral("Forbidden");
    case 404:
        return QByteArrayLiteral("Not Found");
    case 405:
        return QByteArrayLiteral("Method Not Allowed");
    case 408:
        return QByteArrayLiteral("Request Timeout");
    case 409:
        return QByteArrayLiteral("Conflict");
    case 413:
        return QByteArrayLiteral("Content Too Large");
    case 422:
        return QByteArrayLiteral("Unprocessable Content");
    case 429:
        return QByteArrayLiteral("Too Many Requests");
    case 500:
        return QByteArrayLiteral("Internal Server Error");
    case 501:
        return QByteArrayLiteral("Not Implemented");
    case 502:
        return QByteArrayLiteral("Bad Gateway");
    case 503:
        return QByteArrayLiteral("Service Unavailable");
    case 504:
        return QByteArrayLiteral("Gateway Timeout");
    default:
        return QByteArrayLiteral("Status");
    }
}

void streamStep(HttpResponder& responder, const QList<QByteArray>& chunks, qsizetype index,
                std::chrono::milliseconds interval, HttpResponder::StreamEnd end)
{
    if (index < chunks.size()) {
        responder.writeChunk(chunks.at(index));
    }
    if (index + 1 < chunks.size()) {
        responder.later(interval, [chunks, index, interval, end](HttpResponder& next) {
            streamStep(next, chunks, index + 1, interval, end);
        });
        return;
    }
    switch (end) {
    case HttpResponder::StreamEnd::Finish:
        responder.finishStream();
        break;
    case HttpResponder::StreamEnd::CloseAbruptly:
        responder.closeAbruptly();
        break;
    case HttpResponder::StreamEnd::StayOpen:
        break;
    }
}

} // namespace

namespace detail {

// One accepted connection: feeds bytes to http-parser, queues whole requests, hands them to
// the server's handlers one at a time and frames what the responder writes.
class HttpConnection final : public QObject {
public:
    HttpConnection(HttpServer* server, QTcpSocket* socket, quint64 id)
        : m_server(server)
        , m_socket(socket)
        , m_id(id)
    {
        m_socket->setParent(this);
        http_parser_init(&m_parser, HTTP_REQUEST);
        m_parser.data = this;
        connect(m_socket, &QTcpSocket::readyRead, this, [this] { onReadyRead(); });
        connect(m_socket, &QTcpSocket::disconnected, this, [this] { onDisconnected(); });
        // TLS sockets arrive after the handshake; the request may already be buffered.
        QMetaObject::invokeMethod(
            this,
            [this] {
                if (m_socket->state() != QAbstractSocket::ConnectedState) {
                    onDisconnected();
                } else if (m_socket->bytesAvailable() > 0) {
                    onReadyRead();
                }
            },
            Qt::QueuedConnection);
    }

    ~HttpConnection() override
    {
        QObject::disconnect(m_socket, nullptr, this, nullptr);
        m_socket->abort();
    }

    void detachFromServer() { m_server = nullptr; }

    bool isCurrent(quint64 exchange) const
    {
        return exchange == m_exchange &&
               (m_state == State::Awaiting || m_state == State::Streaming || m_state == State::Raw);
    }
    bool isOpen() const { return m_state != State::Closed; }

    void reply(quint64 exchange, int status, const HttpHeaders& headers, const QByteArray& body)
    {
        if (!isCurrent(exchange) || m_state != State::Awaiting) {
            qWarning("HttpServer: reply ignored, the request was already answered");
            return;
        }
        HttpHeaders all = headers;
        const bool bodyAllowed = allowsBody(status);
        if (bodyAllowed && !hasField(all, "Content-Length") &&
            !hasField(all, "Transfer-Encoding")) {
            all.append({QByteArrayLiteral("Content-Length"), QByteArray::number(body.size())});
        }
        const bool close = !m_current.keepAlive || asksToClose(all);
        QByteArray out = head(status, all, close);
        if (bodyAllowed && !m_current.isHead) {
            out.append(body);
        }
        m_socket->write(out);
        endExchange(close);
    }

    void startStream(quint64 exchange, int status, const HttpHeaders& headers)
    {
        if (!isCurrent(exchange) || m_state != State::Awaiting) {
            qWarning("HttpServer: stream ignored, the request was already answered");
            return;
        }
        HttpHeaders all = headers;
        const bool declaredLength = hasField(all, "Content-Length");
        m_chunked = !declaredLength && m_current.request.httpMinor >= 1;
        if (m_chunked && !hasField(all, "Transfer-Encoding")) {
            all.append({QByteArrayLiteral("Transfer-Encoding"), QByteArrayLiteral("chunked")});
        }
        // Without chunking or a length, only the end of the connection ends the body.
        m_closeAfterStream =
            !m_current.keepAlive || asksToClose(all) || (!m_chunked && !declaredLength);
        m_bodyAllowed = allowsBody(status) && !m_current.isHead;
        m_socket->write(head(status, all, m_closeAfterStream));
        m_state = State::Streaming;
    }

    void writeChunk(quint64 exchange, const QByteArray& data)
    {
        if (!isCurrent(exchange) || m_state != State::Streaming) {
            qWarning("HttpServer: chunk ignored, no stream is open");
            return;
        }
        if (!m_bodyAllowed || data.isEmpty()) {
            return; // an empty chunk would end the body
        }
        if (!m_chunked) {
            m_socket->write(data);
            return;
        }
        QByteArray framed = QByteArray::number(data.size(), 16);
        framed.append("\r\n");
        framed.append(data);
        framed.append("\r\n");
        m_socket->write(framed);
    }

    void finishStream(quint64 exchange)
    {
        if (!isCurrent(exchange) || m_state != State::Streaming) {
            qWarning("HttpServer: finish ignored, no stream is open");
            return;
        }
        if (m_chunked && m_bodyAllowed) {
            m_socket->write(QByteArrayLiteral("0\r\n\r\n"));
        }
        endExchange(m_closeAfterStream);
    }

    void sendRaw(quint64 exchange, const QByteArray& bytes)
    {
        if (!isCurrent(exchange)) {
            return;
        }
        m_socket->write(bytes);
        m_state = State::Raw;
    }

    void closeAbruptly(quint64 exchange)
    {
        if (isCurrent(exchange)) {
            drop();
        }
    }

    void closeGracefully(quint64 exchange)
    {
        if (isCurrent(exchange)) {
            m_state = State::Closing;
            m_socket->disconnectFromHost();
        }
    }

    // Hands what was written to the kernel, then closes without a goodbye (no TLS
    // close_notify): on loopback the flush empties Qt's buffer, so the client gets every
    // byte written before the drop and then sees the connection end mid-message.
    void drop()
    {
        if (m_state == State::Closed) {
            return;
        }
        m_state = State::Closing;
        m_socket->flush();
        m_socket->abort();
        onDisconnected();
    }

    quint64 id() const { return m_id; }

private:
    enum class State { Idle, Awaiting, Streaming, Raw, Closing, Closed };

    struct Pending {
        HttpRequest request;
        bool keepAlive = true;
        bool isHead = false;
    };

    static HttpConnection* self(http_parser* parser)
    {
        return static_cast<HttpConnection*>(parser->data);
    }

    static const http_parser_settings& parserSettings()
    {
        static const http_parser_settings settings = [] {
            http_parser_settings s;
            http_parser_settings_init(&s);
            s.on_message_begin = &HttpConnection::onMessageBegin;
            s.on_url = &HttpConnection::onUrl;
            s.on_header_field = &HttpConnection::onHeaderField;
            s.on_header_value = &HttpConnection::onHeaderValue;
            s.on_headers_complete = &HttpConnection::onHeadersComplete;
            s.on_body = &HttpConnection::onBody;
            s.on_message_complete = &HttpConnection::onMessageComplete;
            return s;
        }();
        return settings;
    }

    static int onMessageBegin(http_parser* parser)
    {
        HttpConnection* connection = self(parser);
        connection->m_parsing = HttpRequest{};
        connection->m_field.clear();
        connection->m_value.clear();
        connection->m_lastWasValue = false;
        return 0;
    }

    static int onUrl(http_parser* parser, const char* at, size_t length)
    {
        self(parser)->m_parsing.target.append(at, static_cast<qsizetype>(length));
        return 0;
    }

    static int onHeaderField(http_parser* parser, const char* at, size_t length)
    {
        HttpConnection* connection = self(parser);
        if (connection->m_lastWasValue) {
            connection->flushHeader();
        }
        connection->m_field.append(at, static_cast<qsizetype>(length));
        return 0;
    }

    static int onHeaderValue(http_parser* parser, const char* at, size_t length)
    {
        HttpConnection* connection = self(parser);
        connection->m_value.append(at, static_cast<qsizetype>(length));
        connection->m_lastWasValue = true;
        return 0;
    }

    static int onHeadersComplete(http_parser* parser)
    {
        HttpConnection* connection = self(parser);
        connection->flushHeader();
        HttpRequest& request = connection->m_parsing;
        request.method = QByteArray(http_method_str(static_cast<http_method>(parser->method)));
        request.httpMinor = parser->http_minor;
        // Say "go on" only when the connection is free, or the interim response would land
        // in the middle of an earlier one; clients send the body anyway after a pause.
        if (sameName(request.header("Expect"), "100-continue") &&
            connection->m_state == State::Idle && connection->m_queue.isEmpty() &&
            connection->m_arrived.isEmpty()) {
            connection->m_socket->write(QByteArrayLiteral("HTTP/1.1 100 Continue\r\n\r\n"));
        }
        return 0;
    }

    static int onBody(http_parser* parser, const char* at, size_t length)
    {
        self(parser)->m_parsing.body.append(at, static_cast<qsizetype>(length));
        return 0;
    }

    static int onMessageComplete(http_parser* parser)
    {
        HttpConnection* connection = self(parser);
        Pending pending;
        pending.request = std::move(connection->m_parsing);
        HttpRequest& request = pending.request;
        const QUrl url = QUrl::fromEncoded(request.target);
        request.path = url.path(QUrl::FullyDecoded);
        request.query = QUrlQuery(url);
        request.connectionId = connection->m_id;
        request.indexOnConnection = connection->m_requestsSeen++;
        pending.keepAlive = http_should_keep_alive(parser) != 0;
        pending.isHead = request.method == "HEAD";
        connection->m_arrived.append(std::move(pending));
        connection->m_parsing = HttpRequest{};
        return 0;
    }

    void flushHeader()
    {
        if (!m_field.isEmpty()) {
            m_parsing.headers.append({m_field, m_value.trimmed()});
        }
        m_field.clear();
        m_value.clear();
        m_lastWasValue = false;
    }

    void onReadyRead()
    {
        const QByteArray data = m_socket->readAll();
        if (m_state == State::Closing || m_state == State::Closed || m_parseFailed) {
            return;
        }
        const size_t parsed = http_parser_execute(&m_parser, &parserSettings(), data.constData(),
                                                  static_cast<size_t>(data.size()));
        const auto error = static_cast<http_errno>(m_parser.http_errno);
        // Requests that arrived whole are recorded even when later bytes are garbage.
        const QList<Pending> arrived = std::exchange(m_arrived, {});
        for (const Pending& pending : arrived) {
            if (m_server) {
                m_server->record(pending.request);
            }
            m_queue.append(pending);
        }
        if (error != HPE_OK || m_parser.upgrade || parsed != static_cast<size_t>(data.size())) {
            m_parseFailed = true;
            qWarning("HttpServer: unparseable request (%s)", http_errno_name(error));
            if (m_state == State::Idle && m_queue.isEmpty()) {
                m_socket->write(QByteArrayLiteral("HTTP/1.1 400 Bad Request\r\nContent-Length: "
                                                  "0\r\nConnection: close\r\n\r\n"));
                m_state = State::Closing;
                m_socket->disconnectFromHost();
                return;
            }
        }
        pump();
    }

    void onDisconnected()
    {
        if (m_state == State::Closed) {
            return;
        }
        m_state = State::Closed;
        if (m_server) {
            m_server->forget(this);
            m_server = nullptr;
        }
        deleteLater();
    }

    // Hands queued requests to handlers, one at a time; a handler that answers at once lets
    // the loop go on to the next pipelined request.
    void pump()
    {
        if (m_pumping) {
            return;
        }
        m_pumping = true;
        while (m_state == State::Idle && !m_queue.isEmpty()) {
            m_current = m_queue.takeFirst();
            ++m_exchange;
            m_state = State::Awaiting;
            const HttpServer::Handler handler =
                m_server ? m_server->handlerFor(m_current.request) : HttpServer::Handler{};
            HttpResponder responder(this, m_exchange);
            if (handler) {
                const HttpRequest request = m_current.request;
                handler(request, responder);
            }
        }
        m_pumping = false;
        if (m_state == State::Idle && m_parseFailed) {
            drop(); // nothing after the garbage can be answered
        }
    }

    void endExchange(bool close)
    {
        if (close) {
            m_state = State::Closing;
            m_socket->disconnectFromHost();
            return;
        }
        m_state = State::Idle;
        pump();
    }

    QByteArray head(int status, const HttpHeaders& headers, bool close) const
    {
        QByteArray out = QByteArrayLiteral("HTTP/1.1 ");
        out.append(QByteArray::number(status));
        out.append(' ');
        out.append(reasonPhrase(status));
        out.append("\r\n");
        for (const auto& [field, value] : headers) {
            out.append(field);
            out.append(": ");
            out.append(value);
            out.append("\r\n");
        }
        if (!hasField(headers, "Connection")) {
            if (close) {
                out.append("Connection: close\r\n");
            } else if (m_current.request.httpMinor == 0) {
                out.append("Connection: keep-alive\r\n");
            }
        }
        out.append("\r\n");
        return out;
    }

    HttpServer* m_server;
    QTcpSocket* m_socket;
    const quint64 m_id;
    http_parser m_parser{};
    HttpRequest m_parsing;
    QByteArray m_field;
    QByteArray m_value;
    bool m_lastWasValue = false;
    bool m_parseFailed = false;
    int m_requestsSeen = 0;
    QList<Pending> m_arrived;
    QList<Pending> m_queue;
    Pending m_current;
    quint64 m_exchange = 0;
    State m_state = State::Idle;
    bool m_pumping = false;
    bool m_chunked = false;
    bool m_bodyAllowed = true;
    bool m_closeAfterStream = false;
};

} // namespace detail

// --- HttpRequest ---------------------------------------------------------------------------

QList<QByteArray> HttpRequest::headerValues(QByteArrayView name) const
{
    QList<QByteArray> values;
    for (const auto& [field, value] : headers) {
        if (sameName(field, name)) {
            values.append(value);
        }
    }
    return values;
}

QByteArray HttpRequest::header(QByteArrayView name) const
{
    return headerValues(name).join(", ");
}

bool HttpRequest::hasHeader(QByteArrayView name) const
{
    return hasField(headers, name);
}

std::optional<BasicCredentials> HttpRequest::basicCredentials(QByteArrayView headerName) const
{
    const QByteArray value = header(headerName).trimmed();
    const qsizetype space = value.indexOf(' ');
    if (space <= 0 || !sameName(value.left(space), "Basic")) {
        return std::nullopt;
    }
    const auto decoded = QByteArray::fromBase64Encoding(value.mid(space + 1).trimmed(),
                                                        QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded) {
        return std::nullopt;
    }
    const QByteArray& pair = decoded.decoded;
    const qsizetype colon = pair.indexOf(':');
    if (colon < 0) {
        return std::nullopt;
    }
    return BasicCredentials{QString::fromUtf8(pair.left(colon)),
                            QString::fromUtf8(pair.mid(colon + 1))};
}

QJsonDocument HttpRequest::json() const
{
    return QJsonDocument::fromJson(body);
}

// --- HttpResponder -------------------------------------------------------------------------

HttpResponder::HttpResponder() = default;
HttpResponder::HttpResponder(const HttpResponder&) = default;
HttpResponder& HttpResponder::operator=(const HttpResponder&) = default;
HttpResponder::~HttpResponder() = default;

HttpResponder::HttpResponder(detail::HttpConnection* connection, quint64 exchange)
    : m_connection(connection)
    , m_exchange(exchange)
{
}

void HttpResponder::reply(int status, const HttpHeaders& headers, const QByteArray& body)
{
    if (m_connection) {
        m_connection->reply(m_exchange, status, headers, body);
    }
}

void HttpResponder::replyJson(int status, const QJsonDocument& json, const HttpHeaders& headers)
{
    HttpHeaders all = headers;
    if (!hasField(all, "Content-Type")) {
        all.append({QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")});
    }
    reply(status, all, json.toJson(QJsonDocument::Compact));
}

void HttpResponder::replyAfter(std::chrono::milliseconds delay, int status,
                               const HttpHeaders& headers, const QByteArray& body)
{
    later(delay, [status, headers, body](HttpResponder& responder) {
        responder.reply(status, headers, body);
    });
}

void HttpResponder::later(std::chrono::milliseconds delay, std::function<void(HttpResponder&)> step)
{
    if (!isCurrent()) {
        return;
    }
    // The connection is the timer's context: a dropped connection cancels the step.
    QTimer::singleShot(static_cast<int>(delay.count()), m_connection.data(),
                       [responder = *this, step = std::move(step)]() mutable {
                           if (responder.isCurrent()) {
                               step(responder);
                           }
                       });
}

void HttpResponder::startStream(int status, const HttpHeaders& headers)
{
    if (m_connection) {
        m_connection->startStream(m_exchange, status, headers);
    }
}

void HttpResponder::writeChunk(const QByteArray& data)
{
    if (m_connection) {
        m_connection->writeChunk(m_exchange, data);
    }
}

void HttpResponder::finishStream()
{
    if (m_connection) {
        m_connection->finishStream(m_exchange);
    }
}

void HttpResponder::streamChunks(int status, const HttpHeaders& headers,
                                 const QList<QByteArray>& chunks,
                                 std::chrono::milliseconds interval, StreamEnd end)
{
    startStream(status, headers);
    streamStep(*this, chunks, 0, interval, end);
}

void HttpResponder::sendRaw(const QByteArray& bytes)
{
    if (m_connection) {
        m_connection->sendRaw(m_exchange, bytes);
    }
}

void HttpResponder::closeAbruptly()
{
    if (m_connection) {
        m_connection->closeAbruptly(m_exchange);
    }
}

void HttpResponder::closeGracefully()
{
    if (m_connection) {
        m_connection->closeGracefully(m_exchange);
    }
}

bool HttpResponder::isCurrent() const
{
    return m_connection && m_connection->isCurrent(m_exchange);
}

bool HttpResponder::isConnected() const
{
    return m_connection && m_connection->isOpen();
}

// --- HttpServer ------------------------------------------------------------------------

HttpServer::HttpServer(QObject* parent)
    : QObject(parent)
    , m_fallback([](const HttpRequest& request, HttpResponder& responder) {
        const QString message = QStringLiteral("no route for ") +
                                QString::fromLatin1(request.method) + QLatin1Char(' ') +
                                request.path;
        QJsonObject error;
        error.insert(QStringLiteral("error"), message);
        responder.replyJson(404, QJsonDocument(error));
    })
{
}

HttpServer::~HttpServer()
{
    const QList<detail::HttpConnection*> connections = std::exchange(m_connections, {});
    for (detail::HttpConnection* connection : connections) {
        connection->detachFromServer();
        delete connection;
    }
    m_server.reset();
}

bool HttpServer::listen(const QHostAddress& address, quint16 port)
{
    m_tls = false;
    return startListening(address, port);
}

bool HttpServer::listenTls(const QSslConfiguration& configuration, const QHostAddress& address,
                           quint16 port)
{
    m_tls = true;
    m_tlsConfiguration = configuration;
    return startListening(address, port);
}

bool HttpServer::listenTls(const QSslCertificate& certificate, const QSslKey& privateKey,
                           const QList<QSslCertificate>& chain)
{
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    QList<QSslCertificate> presented{certificate};
    presented.append(chain);
    configuration.setLocalCertificateChain(presented);
    configuration.setPrivateKey(privateKey);
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    return listenTls(configuration);
}

bool HttpServer::startListening(const QHostAddress& address, quint16 port)
{
    close();
    if (m_tls) {
        auto server = std::make_unique<QSslServer>();
        server->setSslConfiguration(m_tlsConfiguration);
        connect(server.get(), &QSslServer::errorOccurred, this,
                [this](QSslSocket*, QAbstractSocket::SocketError) { ++m_tlsHandshakeFailures; });
        m_server = std::move(server);
    } else {
        m_server = std::make_unique<QTcpServer>();
    }
    // Not newConnection: QSslServer (6.4) emits that before the handshake, when nothing is
    // pending yet; a socket becomes pending once encrypted.
    connect(m_server.get(), &QTcpServer::pendingConnectionAvailable, this,
            [this] { acceptPending(); });
    if (!m_server->listen(address, port)) {
        qWarning("HttpServer: cannot listen: %s", qPrintable(m_server->errorString()));
        m_server.reset();
        return false;
    }
    m_address = address;
    m_port = m_server->serverPort();
    return true;
}

void HttpServer::close()
{
    m_server.reset(); // also ends TLS handshakes in progress
    dropAllConnections();
}

bool HttpServer::isListening() const
{
    return m_server && m_server->isListening();
}

QUrl HttpServer::baseUrl() const
{
    QUrl url;
    url.setScheme(m_tls ? QStringLiteral("https") : QStringLiteral("http"));
    url.setHost(m_address.toString());
    url.setPort(m_port);
    return url;
}

QUrl HttpServer::url(const QString& pathAndQuery) const
{
    return QUrl(baseUrl().toString() + pathAndQuery);
}

void HttpServer::route(const QByteArray& method, const QString& pathPattern, Handler handler)
{
    for (Route& existing : m_routes) {
        if (existing.method == method && existing.pattern == pathPattern) {
            existing.handler = std::move(handler);
            return;
        }
    }
    m_routes.append(Route{method, pathPattern, std::move(handler)});
}

void HttpServer::removeRoutes()
{
    m_routes.clear();
}

void HttpServer::setFallback(Handler handler)
{
    m_fallback = std::move(handler);
}

qsizetype HttpServer::requestCount(const QByteArray& method, const QString& path) const
{
    qsizetype count = 0;
    for (const HttpRequest& request : m_requests) {
        if (request.method == method && request.path == path) {
            ++count;
        }
    }
    return count;
}

int HttpServer::openConnections() const
{
    return static_cast<int>(m_connections.size());
}

void HttpServer::dropAllConnections()
{
    const QList<detail::HttpConnection*> connections = m_connections;
    for (detail::HttpConnection* connection : connections) {
        connection->drop();
    }
}

void HttpServer::acceptPending()
{
    while (m_server && m_server->hasPendingConnections()) {
        QTcpSocket* socket = m_server->nextPendingConnection();
        if (!socket) {
            break;
        }
        ++m_connectionsAccepted;
        m_connections.append(new detail::HttpConnection(this, socket, m_nextConnectionId++));
    }
}

HttpServer::Handler HttpServer::handlerFor(const HttpRequest& request) const
{
    for (auto it = m_routes.crbegin(); it != m_routes.crend(); ++it) {
        if (!it->method.isEmpty() && it->method != request.method) {
            continue;
        }
        const bool matches = it->pattern.endsWith(QLatin1Char('*'))
                                 ? request.path.startsWith(it->pattern.chopped(1))
                                 : request.path == it->pattern;
        if (matches) {
            return it->handler;
        }
    }
    return m_fallback;
}

void HttpServer::record(const HttpRequest& request)
{
    if (m_recording) {
        m_requests.append(request);
    }
    Q_EMIT requestReceived(request);
}

void HttpServer::forget(detail::HttpConnection* connection)
{
    m_connections.removeOne(connection);
}

} // namespace l402::http
