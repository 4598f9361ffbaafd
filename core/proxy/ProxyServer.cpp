#include "core/proxy/ProxyServer.h"

#include "core/crypto/Digest.h"
#include "core/payments/RefusalCodes.h"
#include "core/policy/Agents.h"
#include "core/proxy/Admission.h"
#include "core/proxy/RequestParser.h"
#include "core/util/Logging.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

#include <algorithm>
#include <cstring>

namespace l402::proxy {

// ---------------------------------------------------------------------------------------
// Cross-thread plumbing.

EngineGateway::EngineGateway(payments::PaymentEngine& engine)
    : m_engine(&engine)
{
    engine.setTokenListener([this](const QString& origin) {
        QWriteLocker locker(&m_lock);
        m_snapshots.remove(origin);
    });
}

EngineGateway::~EngineGateway()
{
    if (m_engine) {
        m_engine->setTokenListener({});
    }
}

std::optional<std::optional<payments::Credential>>
EngineGateway::fromSnapshot(const QString& origin, const QString& path) const
{
    QReadLocker locker(&m_lock);
    const auto found = m_snapshots.constFind(origin);
    if (found == m_snapshots.constEnd()) {
        return std::nullopt;
    }
    const int64_t now = SystemClock::instance().nowSeconds();
    const auto usable = [now](const payments::Token& token) {
        return !token.expiresAt || *token.expiresAt > now;
    };
    const int64_t forPath = found->paths.value(path);
    const payments::Token* chosen = nullptr;
    for (const payments::Token& token : found->tokens) {
        if (!usable(token)) {
            return std::nullopt; // the engine marks it expired and finds the next
        }
        if (token.id == forPath || (!chosen && !forPath)) {
            chosen = &token;
        }
    }
    if (!chosen && !found->tokens.isEmpty()) {
        chosen = &found->tokens.first();
    }
    if (!chosen) {
        return std::optional<payments::Credential>();
    }
    payments::Credential credential;
    credential.headerValue = found->values.value(chosen->id);
    credential.tokenId = chosen->id;
    credential.boughtBy = chosen->agent;
    return std::optional(credential);
}

void EngineGateway::remember(const QString& origin, const QString& path, int64_t tokenId)
{
    QWriteLocker locker(&m_lock);
    const auto found = m_snapshots.find(origin);
    if (found != m_snapshots.end()) {
        found->paths.insert(path, tokenId);
    }
}

void EngineGateway::credentialFor(const policy::Origin& origin, const QString& path,
                                  QObject* context,
                                  std::function<void(std::optional<payments::Credential>)> done)
{
    const QString key = origin.toString();
    if (auto cached = fromSnapshot(key, path)) {
        done(*cached);
        return;
    }
    QPointer<QObject> receiver(context);
    QPointer<payments::PaymentEngine> engine = m_engine;
    if (!engine) {
        return;
    }
    QMetaObject::invokeMethod(
        engine.data(),
        [this, engine, origin, key, path, receiver, done = std::move(done)] {
            if (!engine) {
                return;
            }
            auto credential = engine->cachedCredential(origin, path);
            {
                // The copy the next requests are answered from.
                QWriteLocker locker(&m_lock);
                Snapshot& snapshot = m_snapshots[key];
                snapshot.tokens = engine->activeTokensFor(origin);
                snapshot.values.clear();
                for (const payments::Token& token : std::as_const(snapshot.tokens)) {
                    snapshot.values.insert(token.id, token.authorizationValue());
                }
                if (credential) {
                    snapshot.paths.insert(path, credential->tokenId);
                }
            }
            if (receiver) {
                QMetaObject::invokeMethod(
                    receiver.data(),
                    [receiver, credential, done] {
                        if (receiver) {
                            done(credential);
                        }
                    },
                    Qt::QueuedConnection);
            }
        },
        Qt::QueuedConnection);
}

void EngineGateway::paymentRequired(const payments::RequestContext& request,
                                    const QList<QByteArray>& wwwAuthenticate, QObject* context,
                                    std::function<void(Result<payments::Credential>)> done)
{
    QPointer<QObject> receiver(context);
    QPointer<payments::PaymentEngine> engine = m_engine;
    if (!engine) {
        return;
    }
    QMetaObject::invokeMethod(
        engine.data(),
        [this, engine, request, wwwAuthenticate, receiver, done = std::move(done)] {
            if (!engine) {
                return;
            }
            // The engine finishes the payment even when the client has gone: what was paid
            // for is kept as a token.
            engine->handlePaymentRequired(request, wwwAuthenticate,
                                          [receiver, done](Result<payments::Credential> result) {
                                              if (receiver) {
                                                  QMetaObject::invokeMethod(
                                                      receiver.data(),
                                                      [receiver, result, done] {
                                                          if (receiver) {
                                                              done(result);
                                                          }
                                                      },
                                                      Qt::QueuedConnection);
                                              }
                                          });
        },
        Qt::QueuedConnection);
}

void AgentDirectory::replace(QHash<QString, QByteArray> credentials)
{
    QWriteLocker locker(&m_lock);
    m_credentials = std::move(credentials);
}

std::optional<QString> AgentDirectory::verify(QByteArrayView nameColonSecret) const
{
    QReadLocker locker(&m_lock);
    return policy::verifyAgent(m_credentials, nameColonSecret);
}

// ---------------------------------------------------------------------------------------
// One client connection.

namespace detail {

// Accepted connections are QSslSockets in plain mode, so an intercepted CONNECT can turn
// into TLS (startServerEncryption) on the same socket.
class ListeningSocket : public QTcpServer {
public:
    using QTcpServer::QTcpServer;

protected:
    void incomingConnection(qintptr descriptor) override
    {
        auto* socket = new QSslSocket(this);
        if (socket->setSocketDescriptor(descriptor)) {
            addPendingConnection(socket);
        } else {
            delete socket;
        }
    }
};

namespace {

bool equalsIgnoringCase(QByteArrayView a, QByteArrayView b)
{
    return a.compare(b, Qt::CaseInsensitive) == 0;
}

// Hop-by-hop fields (RFC 9110 §7.6.1) and the proxy's own: never passed on.
bool isHopByHop(QByteArrayView name)
{
    for (const char* hop :
         {"connection", "keep-alive", "proxy-connection", "proxy-authorization",
          "proxy-authenticate", "te", "trailer", "transfer-encoding", "upgrade"}) {
        if (equalsIgnoringCase(name, hop)) {
            return true;
        }
    }
    return false;
}

bool isWalletHeader(QByteArrayView name)
{
    return name.size() >= 12 && equalsIgnoringCase(name.first(12), "l402-wallet-");
}

int statusFor(const QString& code)
{
    // One table for the proxy, fetch and MCP (payments/RefusalCodes); anything not in it is a
    // refusal to pay: the payment is still required.
    return payments::httpStatusForRefusal(code);
}

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 402:
        return "Payment Required";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 407:
        return "Proxy Authentication Required";
    case 408:
        return "Request Timeout";
    case 413:
        return "Content Too Large";
    case 431:
        return "Request Header Fields Too Large";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Status";
    }
}

} // namespace

class ProxyConnection : public QObject {
public:
    ProxyConnection(ProxyServer& server, QTcpSocket* socket);
    ~ProxyConnection() override;

    // No request on it has shown a valid credential yet (what eviction may take).
    bool unauthenticated() const { return !m_everAdmitted && m_state != State::Closing; }
    qint64 ageMs() const { return m_opened.elapsed(); }
    void evict()
    {
        m_state = State::Closing;
        m_timer.stop();
        m_socket->abort();
    }

    void refuseAndClose(const QString& code, const QString& message);

private:
    enum class State {
        ReadingHead,
        ReadingBody,
        Uploading,
        Handling,
        TunnelDecide,
        Tunnel,
        Closing
    };
    enum class Route { Forward, Gateway, Local };

    void readClient();
    void feed();
    bool admitHeadNow();
    void releaseReplayReservation();
    void handleRequest();
    void startUpstream(const std::optional<payments::Credential>& credential);
    void upstreamHead(int status, const QByteArray& reason, const HeaderList& headers);
    bool upstreamData(const QByteArray& bytes);
    void upstreamDone(bool ok, const QString& error);
    void paymentNeeded();
    void startTunnel();
    void finishExchange();
    void sendError(const QString& code, const QString& message, std::optional<int64_t> amount = {},
                   const HeaderList& extra = {});
    void writeHead(int status, const QByteArray& reason, const HeaderList& headers);
    void closeSoon();
    QByteArray header(QByteArrayView name) const;
    QList<QByteArray> headerValues(QByteArrayView name) const;

    ProxyServer& m_server;
    QTcpSocket* m_socket;
    RequestParser m_parser;
    QByteArray m_input; // received, not yet parsed (while a request is being handled)
    State m_state = State::ReadingHead;
    QTimer m_timer; // head timeout, then idle timeout

    // The request being read or handled.
    QByteArray m_method;
    QByteArray m_target;
    HeaderList m_headers;
    QByteArray m_body;
    bool m_keepAlive = true;
    int m_httpMinor = 1;
    Route m_route = Route::Forward;
    QUrl m_upstreamUrl;
    std::optional<policy::Origin> m_origin;
    QString m_agent;
    // The head's admission, decided before its body is read (see Admission.h).
    Admission m_admission;
    bool m_headAdmitted = false;
    bool m_everAdmitted = false; // a request on this connection carried a valid credential
    QElapsedTimer m_opened;
    qint64 m_bodyProgress = 0;   // body bytes read in the current rate window
    qint64 m_replayReserved = 0; // this request's share of the server's replay-byte cap

    // Handling.
    CurlMulti::TransferId m_transfer = 0;
    int64_t m_sentTokenId = 0;
    int m_rounds = 0;
    std::optional<payments::PaymentSummary> m_payment;
    bool m_headSent = false;
    bool m_chunked = false;
    bool m_bodyless = false;
    bool m_buffering402 = false;
    QList<QByteArray> m_challenges;
    bool m_upstreamPaused = false;

    // A request body too large to keep for a replay streams upstream as it arrives.
    bool m_streamedBody = false;
    QByteArray m_upload; // received, not yet taken by the upstream transfer
    bool m_uploadComplete = false;
    qint64 m_uploadLength = -1;   // Content-Length, or -1 (chunked)
    bool m_readThrottled = false; // the client is read no further until the upstream catches up
    bool m_continueSent = false;  // 100 Continue for this request's Expect, once
    qint64 takeUpload(char* buffer, qint64 max);

    // CONNECT tunnel.
    QTcpSocket* m_tunnel = nullptr;
    QByteArray m_tunnelHost;
    int m_tunnelPort = 0;
    // Plain HTTP inside a CONNECT tunnel (what undici's ProxyAgent does for http:// URLs):
    // the requests are read and paid for like forward-proxy requests to this authority.
    QByteArray m_tunnelAuthority;
    QByteArray m_tunnelScheme = "http";
    QString m_tunnelAgent;
    void decideTunnel();
    void openBlindTunnel();
    void intercept();
};

ProxyConnection::ProxyConnection(ProxyServer& server, QTcpSocket* socket)
    : QObject(&server)
    , m_server(server)
    , m_socket(socket)
    , m_parser(RequestParser::Limits{kMaxRequestTargetBytes, kMaxHeaderBytes, kMaxHeaderFields,
                                     server.m_settings.maxReplayBodyBytes})
{
    m_opened.start();
    m_socket->setParent(this);
    // Qt reads no further ahead than this: what a client sends beyond it waits in the kernel
    // (and TCP's window) until the connection wants it.
    m_socket->setReadBufferSize(kReadBufferBytes);
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, [this] {
        const bool readingBody =
            m_state == State::Uploading || (m_state == State::ReadingHead && m_headAdmitted);
        if (readingBody && (m_bodyProgress >= kMinBodyBytesPerWindow || m_readThrottled)) {
            // The body keeps its minimum rate (or waits on the upstream): another window.
            m_bodyProgress = 0;
            m_timer.start(m_server.m_settings.headerTimeoutMs);
            return;
        }
        if (m_state == State::Uploading) {
            m_socket->abort(); // an upload slower than the minimum rate
            return;
        }
        if (m_state == State::ReadingHead && (m_parser.started() || !m_input.isEmpty())) {
            sendError(QStringLiteral("request_timeout"),
                      QStringLiteral("The request did not arrive in time."));
            closeSoon();
            return;
        }
        if (m_state == State::ReadingHead || m_state == State::ReadingBody) {
            m_socket->abort(); // idle keep-alive, or a client that stopped mid-request
        }
    });
    m_timer.start(m_server.m_settings.headerTimeoutMs);
    connect(m_socket, &QTcpSocket::readyRead, this, &ProxyConnection::readClient);
    connect(m_socket, &QTcpSocket::disconnected, this, [this] {
        if (m_transfer) {
            m_server.m_upstream.cancel(m_transfer);
            m_transfer = 0;
        }
        m_server.forget(this);
        deleteLater();
    });
    connect(m_socket, &QTcpSocket::bytesWritten, this, [this] {
        if (m_upstreamPaused && m_socket->bytesToWrite() < kMaxBufferedToClient / 2) {
            m_upstreamPaused = false;
            m_server.m_upstream.resume(m_transfer);
        }
    });
}

ProxyConnection::~ProxyConnection()
{
    releaseReplayReservation();
    if (m_transfer) {
        m_server.m_upstream.cancel(m_transfer);
    }
}

void ProxyConnection::readClient()
{
    if (m_state == State::TunnelDecide) {
        decideTunnel(); // peeks: a TLS ClientHello must stay in the socket for the handshake
        return;
    }
    if (m_state == State::Tunnel) {
        if (m_tunnel && m_tunnel->state() == QAbstractSocket::ConnectedState) {
            m_tunnel->write(m_socket->readAll());
        } else {
            m_input += m_socket->readAll();
        }
        return;
    }
    if (m_state == State::Closing) {
        m_socket->skip(m_socket->bytesAvailable()); // an unread body of a refused request
        return;
    }
    if (m_state == State::Uploading && m_upload.size() > kMaxBufferedToClient) {
        // Back-pressure: the socket's bounded read buffer fills, then TCP's window closes.
        m_readThrottled = true;
        return;
    }
    if (m_state == State::Handling && m_input.size() >= kMaxPipelinedBytes) {
        return; // pipelined requests wait in the socket, not in memory (read after this one)
    }
    m_input += m_socket->readAll();
    if (m_state == State::ReadingHead || m_state == State::ReadingBody ||
        m_state == State::Uploading) {
        feed();
    }
}

qint64 ProxyConnection::takeUpload(char* buffer, qint64 max)
{
    if (m_upload.isEmpty()) {
        return m_uploadComplete ? 0 : -1;
    }
    const qint64 count = std::min<qint64>(max, m_upload.size());
    std::memcpy(buffer, m_upload.constData(), static_cast<size_t>(count));
    m_upload.remove(0, static_cast<qsizetype>(count));
    if (m_readThrottled && m_upload.size() < kMaxBufferedToClient / 2) {
        m_readThrottled = false;
        QMetaObject::invokeMethod(
            this, [this] { readClient(); }, Qt::QueuedConnection);
    }
    return count;
}

void ProxyConnection::feed()
{
    while (m_state == State::ReadingHead || m_state == State::ReadingBody ||
           m_state == State::Uploading) {
        const bool wasStarted = m_parser.started();
        const qsizetype before = m_input.size();
        const RequestParser::Status status = m_parser.feed(m_input);
        if (m_headAdmitted || m_state == State::Uploading) {
            m_bodyProgress += before - m_input.size();
        }
        if (status != RequestParser::Status::Error && m_parser.headComplete() && !m_headAdmitted &&
            !admitHeadNow()) {
            return; // refused unread and closing
        }
        if (m_state == State::Uploading && status != RequestParser::Status::Error) {
            m_upload += m_parser.takeBody();
            if (status == RequestParser::Status::Complete) {
                m_uploadComplete = true;
                m_state = State::Handling;
                m_socket->setReadBufferSize(kReadBufferBytes);
            }
            if (m_transfer) {
                m_server.m_upstream.resumeUpload(m_transfer);
            }
            return;
        }
        if (status == RequestParser::Status::NeedMore) {
            if (m_parser.headComplete() && !m_continueSent) {
                // The proxy takes the body in any case: tell a client that waits for it.
                m_continueSent = true;
                for (const auto& [name, value] : m_parser.request().headers) {
                    if (equalsIgnoringCase(name, "expect") &&
                        equalsIgnoringCase(value, "100-continue") &&
                        m_parser.request().httpMinor >= 1) {
                        m_socket->write("HTTP/1.1 100 Continue\r\n\r\n");
                    }
                }
            }
            if (!wasStarted && m_parser.started()) {
                // Idle no more: the head must arrive within the head timeout, from its first
                // byte (a byte every few seconds does not stretch it). Then the body must keep
                // a minimum rate (see the timer), not merely trickle.
                m_timer.start(m_server.m_settings.headerTimeoutMs);
            }
            return;
        }
        if (status == RequestParser::Status::Error) {
            m_input.clear();
            const QString code = m_parser.errorCode();
            m_keepAlive = false;
            sendError(code, code == QLatin1String("headers_too_large")
                                ? QStringLiteral("The request's header fields are too large.")
                            : code == QLatin1String("body_too_large_to_replay")
                                ? QStringLiteral("The request body is larger than the %1 MiB the "
                                                 "wallet keeps to replay a request after paying.")
                                      .arg(m_server.m_settings.maxReplayBodyBytes / 1048576)
                            : code == QLatin1String("unsupported_version")
                                ? QStringLiteral("The proxy speaks HTTP/1.0 and HTTP/1.1.")
                                : QStringLiteral("The request is not valid HTTP/1.1 (%1).")
                                      .arg(m_parser.errorDetail()));
            closeSoon();
            return;
        }
        // A whole request (or, Streaming, its head with a body too large to keep): taken over
        // for handling, one at a time.
        const bool streaming = status == RequestParser::Status::Streaming;
        const RequestParser::Request& request = m_parser.request();
        m_method = request.method;
        m_target = request.target;
        m_headers = request.headers;
        m_body = streaming ? QByteArray() : request.body;
        m_httpMinor = request.httpMinor;
        m_keepAlive = request.keepAlive;
        m_streamedBody = streaming;
        m_upload = streaming ? m_parser.takeBody() : QByteArray();
        m_uploadComplete = false;
        m_uploadLength = -1;
        if (streaming) {
            const QByteArray length = header("Content-Length");
            m_uploadLength = length.isEmpty() ? -1 : length.toLongLong();
        }
        m_headAdmitted = false; // the next request's head is admitted on its own
        m_payment.reset();
        m_rounds = 0;
        m_sentTokenId = 0;
        m_headSent = false;
        m_buffering402 = false;
        m_challenges.clear();
        m_continueSent = false;
        m_state = streaming ? State::Uploading : State::Handling;
        m_timer.stop();
        if (streaming) {
            releaseReplayReservation(); // streamed on, not kept
            m_bodyProgress = 0;
            m_timer.start(m_server.m_settings.headerTimeoutMs); // rate windows go on
            QMetaObject::invokeMethod(
                this, [this] { handleRequest(); }, Qt::QueuedConnection);
            m_socket->setReadBufferSize(kMaxBufferedToClient);
            continue; // the body may already be waiting in m_input
        }
        handleRequest(); // outside http-parser's callbacks: safe to act at once
        return;
    }
}

bool ProxyConnection::admitHeadNow()
{
    m_headAdmitted = true;
    m_bodyProgress = 0;
    const RequestParser::Request& head = m_parser.request();
    m_admission = admitHead(
        head.method, head.target, head.headers,
        m_tunnelAuthority.isEmpty() ? QString() : m_tunnelAgent,
        AdmissionPolicy{m_server.m_agents,
                        [this](QByteArrayView host) { return m_server.hostAllowed(host); },
                        m_server.port()});
    m_method = head.method; // a refusal of HEAD has no body
    const std::optional<qint64> body = announcedBody(head.headers);
    if (!m_admission.admitted()) {
        if (!body) {
            // Nothing to leave unread: answered once the (empty) request is taken over, on a
            // connection that stays open, as clients that answer a 407 challenge on the same
            // connection (Qt, curl --proxy-anyauth) expect.
            return true;
        }
        // Answered from the head alone; the body that follows is never read.
        m_keepAlive = false;
        m_input.clear();
        sendError(m_admission.code, m_admission.message, std::nullopt, m_admission.extra);
        closeSoon();
        return false;
    }
    m_everAdmitted = true;
    // A body kept for replay counts against one cap for all connections (an admitted agent
    // is still not trusted with the wallet's memory): the most it can be, reserved now.
    if (body) {
        const qint64 limit = m_server.m_settings.maxReplayBodyBytes;
        const qint64 share = *body > 0 ? std::min(*body, limit) : limit;
        if (m_server.m_replayBytesReserved + share > m_server.m_settings.maxTotalReplayBytes) {
            m_keepAlive = false;
            m_input.clear();
            sendError(QStringLiteral("too_many_connections"),
                      QStringLiteral("The proxy is holding as many request bodies as it may; "
                                     "try again in a moment."),
                      std::nullopt, {{"Retry-After", "1"}});
            closeSoon();
            return false;
        }
        m_replayReserved = share;
        m_server.m_replayBytesReserved += share;
    }
    m_timer.start(m_server.m_settings.headerTimeoutMs); // the body's first rate window
    return true;
}

void ProxyConnection::releaseReplayReservation()
{
    if (m_replayReserved == 0) {
        return;
    }
    m_server.m_replayBytesReserved -= m_replayReserved;
    m_replayReserved = 0;
}

QByteArray ProxyConnection::header(QByteArrayView name) const
{
    return headerValues(name).join(", ");
}

QList<QByteArray> ProxyConnection::headerValues(QByteArrayView name) const
{
    QList<QByteArray> values;
    for (const auto& [key, value] : m_headers) {
        if (equalsIgnoringCase(key, name)) {
            values.append(value);
        }
    }
    return values;
}

void ProxyConnection::handleRequest()
{
    // Which surface, and who is asking: decided on the head, before the body was read.
    const Admission& admission = m_admission;
    if (!admission.admitted()) {
        sendError(admission.code, admission.message, std::nullopt, admission.extra);
        if (admission.route == Admission::Route::Connect) {
            closeSoon();
        } else {
            finishExchange(); // a request without a body: the connection may go on
        }
        return;
    }
    m_agent = admission.agent;
    switch (admission.route) {
    case Admission::Route::Connect:
        startTunnel();
        return;
    case Admission::Route::Tunnelled:
        m_route = Route::Forward;
        m_upstreamUrl = QUrl::fromEncoded(m_tunnelScheme + "://" + m_tunnelAuthority + m_target,
                                          QUrl::StrictMode);
        break;
    case Admission::Route::Forward:
        m_route = Route::Forward;
        m_upstreamUrl = QUrl::fromEncoded(m_target, QUrl::StrictMode);
        break;
    case Admission::Route::Gateway: {
        m_route = Route::Gateway;
        // /gw/<scheme>/<host[:port]>/<path...>
        const QByteArray rest = m_target.mid(4);
        const qsizetype schemeEnd = rest.indexOf('/');
        const QByteArray scheme = rest.left(schemeEnd);
        const QByteArray afterScheme = schemeEnd < 0 ? QByteArray() : rest.mid(schemeEnd + 1);
        const qsizetype hostEnd = afterScheme.indexOf('/');
        const QByteArray host = hostEnd < 0 ? afterScheme : afterScheme.left(hostEnd);
        const QByteArray path = hostEnd < 0 ? QByteArray("/") : afterScheme.mid(hostEnd);
        if ((scheme != "http" && scheme != "https") || host.isEmpty() || host.contains('@')) {
            sendError(QStringLiteral("bad_request"),
                      QStringLiteral("Gateway URLs look like /gw/https/api.example.com/path."));
            finishExchange();
            return;
        }
        m_upstreamUrl = QUrl::fromEncoded(scheme + "://" + host + path, QUrl::StrictMode);
        break;
    }
    case Admission::Route::Local:
        m_route = Route::Local;
        if (m_target == "/" && m_server.hostAllowed(header("Host"))) {
            const QByteArray body =
                QJsonDocument(
                    QJsonObject{{QStringLiteral("name"), QStringLiteral("L402 Wallet proxy")},
                                {QStringLiteral("gateway"),
                                 QStringLiteral("http://127.0.0.1:%1/gw/https/<host>/<path>")
                                     .arg(m_server.port())}})
                    .toJson(QJsonDocument::Compact);
            writeHead(200, "OK",
                      {{"Content-Type", "application/json"},
                       {"Content-Length", QByteArray::number(body.size())}});
            m_socket->write(body);
            finishExchange();
            return;
        }
        sendError(QStringLiteral("not_found"),
                  QStringLiteral("This is the L402 Wallet proxy: use it as HTTP_PROXY, or the "
                                 "gateway form /gw/https/<host>/<path>."));
        finishExchange();
        return;
    }
    m_origin = policy::Origin::fromUrl(m_upstreamUrl);
    if (!m_upstreamUrl.isValid() || !m_origin) {
        sendError(QStringLiteral("bad_request"),
                  QStringLiteral("The request names no valid http or https URL."));
        finishExchange();
        return;
    }
    if (!headerValues("Authorization").isEmpty()) {
        // The agent brings its own credentials: send them as they are.
        startUpstream(std::nullopt);
        return;
    }
    QPointer<ProxyConnection> self(this);
    m_server.m_payments.credentialFor(*m_origin, m_upstreamUrl.path(QUrl::FullyEncoded), this,
                                      [self](std::optional<payments::Credential> credential) {
                                          if (self) {
                                              self->startUpstream(credential);
                                          }
                                      });
}

void ProxyConnection::startUpstream(const std::optional<payments::Credential>& credential)
{
    UpstreamRequest request;
    request.url = m_upstreamUrl;
    request.method = m_method;
    request.body = m_body;
    request.hasBody = !m_body.isEmpty() || !headerValues("Content-Length").isEmpty() ||
                      !headerValues("Transfer-Encoding").isEmpty();
    if (m_streamedBody) {
        QPointer<ProxyConnection> guard(this);
        request.bodySource = [guard](char* buffer, qint64 max) -> qint64 {
            return guard ? guard->takeUpload(buffer, max) : 0;
        };
        request.bodyLength = m_uploadLength;
    }
    QList<QByteArray> connectionTokens;
    for (const QByteArray& value : headerValues("Connection")) {
        for (const QByteArray& token : value.split(',')) {
            connectionTokens.append(token.trimmed().toLower());
        }
    }
    for (const auto& [name, value] : m_headers) {
        if (isHopByHop(name) || isWalletHeader(name) || equalsIgnoringCase(name, "host") ||
            equalsIgnoringCase(name, "content-length") || equalsIgnoringCase(name, "expect") ||
            connectionTokens.contains(name.toLower()) ||
            (credential && equalsIgnoringCase(name, credential->headerName))) {
            continue;
        }
        request.headers.append({name, value});
    }
    m_sentTokenId = 0;
    if (credential) {
        request.headers.append({credential->headerName, credential->headerValue});
        m_sentTokenId = credential->tokenId;
    }
    m_buffering402 = false;
    m_headSent = false;
    QPointer<ProxyConnection> self(this);
    UpstreamSink sink;
    sink.head = [self](int status, const QByteArray& reason, const HeaderList& headers) {
        if (self) {
            self->upstreamHead(status, reason, headers);
        }
    };
    sink.data = [self](const QByteArray& bytes) {
        return self ? self->upstreamData(bytes) : true;
    };
    sink.done = [self](bool ok, const QString& error) {
        if (self) {
            self->m_transfer = 0;
            self->upstreamDone(ok, error);
        }
    };
    m_transfer = m_server.m_upstream.start(request, std::move(sink));
}

void ProxyConnection::upstreamHead(int status, const QByteArray& reason, const HeaderList& headers)
{
    if (status == 402) {
        // Kept, not passed on: it may be answered by paying and replaying the request.
        m_buffering402 = true;
        m_challenges.clear();
        for (const auto& [name, value] : headers) {
            if (equalsIgnoringCase(name, "WWW-Authenticate")) {
                m_challenges.append(value);
            }
        }
        return;
    }
    m_bodyless = m_method == "HEAD" || status == 204 || status == 304 || status < 200;
    HeaderList out;
    bool hasLength = false;
    for (const auto& [name, value] : headers) {
        if (isHopByHop(name)) {
            continue;
        }
        hasLength = hasLength || equalsIgnoringCase(name, "content-length");
        out.append({name, value});
    }
    m_chunked = false;
    if (!hasLength && !m_bodyless) {
        if (m_httpMinor >= 1) {
            m_chunked = true;
            out.emplaceBack("Transfer-Encoding", "chunked");
        } else {
            m_keepAlive = false; // HTTP/1.0: the end of the body is the end of the connection
        }
    }
    if (m_payment) {
        out.append({"L402-Wallet-Payment",
                    QByteArray("amount_msat=") + QByteArray::number(m_payment->amountMsat) +
                        "; fee_msat=" + QByteArray::number(m_payment->feeMsat) +
                        "; payment_hash=" + m_payment->paymentHash.toHex()});
    }
    writeHead(status, reason.isEmpty() ? reasonPhrase(status) : reason, out);
}

bool ProxyConnection::upstreamData(const QByteArray& bytes)
{
    if (m_buffering402) {
        return true; // a 402 body is not needed: the challenge is in the headers
    }
    if (m_bodyless || bytes.isEmpty()) {
        return true;
    }
    if (m_chunked) {
        m_socket->write(QByteArray::number(bytes.size(), 16) + "\r\n");
        m_socket->write(bytes);
        m_socket->write("\r\n");
    } else {
        m_socket->write(bytes);
    }
    if (m_socket->bytesToWrite() > kMaxBufferedToClient) {
        m_upstreamPaused = true;
        return false;
    }
    return true;
}

void ProxyConnection::upstreamDone(bool ok, const QString& error)
{
    if (m_buffering402 && ok) {
        paymentNeeded();
        return;
    }
    if (!ok) {
        if (!m_headSent) {
            sendError(QStringLiteral("upstream_unreachable"),
                      QStringLiteral("%1 could not be reached: %2")
                          .arg(m_origin ? m_origin->toString() : QString(), error));
            finishExchange();
        } else {
            // Mid-response: what arrived is passed on and the connection ends short of the
            // announced length (or without the last chunk): the client sees a truncated body.
            m_keepAlive = false;
            closeSoon();
        }
        return;
    }
    if (m_chunked) {
        m_socket->write("0\r\n\r\n");
    }
    finishExchange();
}

void ProxyConnection::paymentNeeded()
{
    if (m_streamedBody) {
        // Paying would mean sending the request again, and its body went out as it came.
        m_keepAlive = false;
        sendError(QStringLiteral("body_too_large_to_replay"),
                  QStringLiteral("%1 asks for payment, but this request's body is larger than the "
                                 "%2 MiB the wallet keeps to send a request again after paying. "
                                 "Buy access with a smaller request to the same site first.")
                      .arg(m_origin->toString())
                      .arg(m_server.m_settings.maxReplayBodyBytes / 1048576));
        finishExchange();
        return;
    }
    // At most one payment per request, and a few other tokens to try. A 402 to the token
    // just bought is reported (reportOnly never pays), so the drain guard sees it.
    if (m_rounds >= 4) {
        sendError(QStringLiteral("token_rejected"),
                  QStringLiteral("%1 asked for payment again right after it was paid; the wallet "
                                 "will not pay twice for one request.")
                      .arg(m_origin->toString()));
        finishExchange();
        return;
    }
    payments::RequestContext context;
    context.origin = *m_origin;
    context.agent = m_agent;
    context.path = m_upstreamUrl.path(QUrl::FullyEncoded);
    context.resource = QString::fromLatin1(m_method) + u' ' + context.path;
    context.sentTokenId = m_sentTokenId;
    context.reportOnly = m_payment.has_value();
    QPointer<ProxyConnection> self(this);
    m_server.m_payments.paymentRequired(
        context, m_challenges, this, [self](Result<payments::Credential> credential) {
            if (!self) {
                return;
            }
            if (!credential) {
                self->sendError(credential.error().code, credential.error().message);
                self->finishExchange();
                return;
            }
            ++self->m_rounds;
            if (credential->payment) {
                self->m_payment = credential->payment;
            }
            self->startUpstream(credential.value());
        });
}

void ProxyConnection::startTunnel()
{
    // CONNECT host:port.
    const QByteArray target = m_target;
    const qsizetype colon = target.lastIndexOf(':');
    bool portOk = false;
    const int port = colon > 0 ? target.mid(colon + 1).toInt(&portOk) : 0;
    QByteArray host = colon > 0 ? target.left(colon) : QByteArray();
    if (host.startsWith('[') && host.endsWith(']')) {
        host = host.mid(1, host.size() - 2);
    }
    if (!portOk || port <= 0 || port > 65535 || host.isEmpty() || host.contains('/') ||
        host.contains('@')) {
        sendError(QStringLiteral("bad_request"),
                  QStringLiteral("CONNECT needs host:port, e.g. CONNECT api.example.com:443."));
        closeSoon();
        return;
    }
    m_tunnelHost = host;
    m_tunnelPort = port;
    // Answer at once and look at the first bytes: TLS goes through blind (interception with
    // the local CA is not there yet), plain HTTP is read and paid for like forward requests.
    m_state = State::TunnelDecide;
    writeHead(200, "Connection established", {});
    if (!m_input.isEmpty()) {
        decideTunnel();
    }
}

void ProxyConnection::decideTunnel()
{
    char first = 0;
    bool tls = false;
    if (!m_input.isEmpty()) {
        // Sent together with the CONNECT, so already read: it can only go through blind.
        tls = static_cast<unsigned char>(m_input.at(0)) == 0x16;
        if (tls) {
            openBlindTunnel();
            return;
        }
    } else {
        if (m_socket->peek(&first, 1) != 1) {
            return;
        }
        tls = static_cast<unsigned char>(first) == 0x16;
    }
    if (tls) {
        if (m_server.m_settings.ca && !m_server.bypassed(QString::fromLatin1(m_tunnelHost)) &&
            qobject_cast<QSslSocket*>(m_socket)) {
            intercept();
        } else {
            m_input += m_socket->readAll();
            openBlindTunnel();
        }
        return;
    }
    m_input += m_socket->readAll();
    const bool ipv6 = m_tunnelHost.contains(':');
    m_tunnelAuthority =
        (ipv6 ? '[' + m_tunnelHost + ']' : m_tunnelHost) + ':' + QByteArray::number(m_tunnelPort);
    m_tunnelScheme = "http";
    m_tunnelAgent = m_agent;
    m_parser.reset();
    m_state = State::ReadingHead;
    m_timer.start(m_server.m_settings.headerTimeoutMs);
    feed();
}

void ProxyConnection::intercept()
{
    auto* ssl = qobject_cast<QSslSocket*>(m_socket);
    auto leaf = m_server.m_settings.ca->leafFor(QString::fromLatin1(m_tunnelHost));
    if (!leaf) {
        log::warning(leaf.error().message);
        m_input += m_socket->readAll();
        openBlindTunnel();
        return;
    }
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setLocalCertificateChain(
        {leaf->certificate, m_server.m_settings.ca->certificate()});
    configuration.setPrivateKey(leaf->key);
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    configuration.setProtocol(QSsl::TlsV1_2OrLater);
    configuration.setAllowedNextProtocols({QByteArrayLiteral("http/1.1")});
    ssl->setSslConfiguration(configuration);
    m_state = State::Handling; // until the handshake is done
    m_timer.start(m_server.m_settings.headerTimeoutMs);
    connect(ssl, &QSslSocket::encrypted, this, [this] {
        const bool ipv6 = m_tunnelHost.contains(':');
        m_tunnelAuthority = (ipv6 ? '[' + m_tunnelHost + ']' : m_tunnelHost) + ':' +
                            QByteArray::number(m_tunnelPort);
        m_tunnelScheme = "https";
        m_tunnelAgent = m_agent;
        m_parser.reset();
        m_state = State::ReadingHead;
        m_timer.start(m_server.m_settings.headerTimeoutMs);
        m_input += m_socket->readAll();
        feed();
    });
    // A client that does not trust the wallet's CA ends the handshake; nothing to answer.
    connect(ssl, &QSslSocket::sslErrors, this, [this] { m_socket->abort(); });
    QPointer<QSslSocket> guarded(ssl);
    QTimer::singleShot(m_server.m_settings.headerTimeoutMs, this, [guarded] {
        if (guarded && !guarded->isEncrypted()) {
            guarded->abort(); // a handshake that never finishes
        }
    });
    ssl->startServerEncryption();
}

void ProxyConnection::openBlindTunnel()
{
    m_state = State::Tunnel;
    m_tunnel = new QTcpSocket(this);
    connect(m_tunnel, &QTcpSocket::connected, this, [this] {
        if (!m_input.isEmpty()) {
            m_tunnel->write(m_input);
            m_input.clear();
        }
    });
    connect(m_tunnel, &QTcpSocket::readyRead, this,
            [this] { m_socket->write(m_tunnel->readAll()); });
    connect(m_tunnel, &QTcpSocket::errorOccurred, this, [this] { closeSoon(); });
    connect(m_tunnel, &QTcpSocket::disconnected, this, [this] { closeSoon(); });
    m_tunnel->connectToHost(QString::fromLatin1(m_tunnelHost), static_cast<quint16>(m_tunnelPort));
}

void ProxyConnection::writeHead(int status, const QByteArray& reason, const HeaderList& headers)
{
    QByteArray head = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason + "\r\n";
    for (const auto& [name, value] : headers) {
        head += name + ": " + value + "\r\n";
    }
    if (!m_keepAlive && m_state != State::Tunnel) {
        head += "Connection: close\r\n";
    }
    head += "\r\n";
    m_socket->write(head);
    m_headSent = true;
}

void ProxyConnection::sendError(const QString& code, const QString& message,
                                std::optional<int64_t> amount, const HeaderList& extra)
{
    QJsonObject error{{QStringLiteral("code"), code}, {QStringLiteral("message"), message}};
    if (m_origin) {
        error.insert(QStringLiteral("origin"), m_origin->toString());
    }
    if (amount) {
        error.insert(QStringLiteral("amount_msat"), qint64(*amount));
    }
    const QByteArray body = QJsonDocument(QJsonObject{{QStringLiteral("error"), error}})
                                .toJson(QJsonDocument::Compact) +
                            '\n';
    const int status = statusFor(code);
    HeaderList headers = extra;
    headers.emplaceBack("Content-Type", "application/json");
    headers.emplaceBack("L402-Wallet-Error", code.toLatin1());
    headers.emplaceBack("Cache-Control", "no-store");
    headers.emplaceBack("Content-Length", QByteArray::number(body.size()));
    writeHead(status, reasonPhrase(status), headers);
    if (m_method != "HEAD") {
        m_socket->write(body);
    }
}

void ProxyConnection::refuseAndClose(const QString& code, const QString& message)
{
    m_keepAlive = false;
    sendError(code, message);
    closeSoon();
}

void ProxyConnection::finishExchange()
{
    releaseReplayReservation();
    if (m_streamedBody && !m_uploadComplete) {
        m_keepAlive = false; // the rest of that body is still on its way: no next request
    }
    if (!m_keepAlive) {
        closeSoon();
        return;
    }
    // Ready for the next request on this connection, pipelined or not.
    m_state = State::ReadingHead;
    m_method.clear();
    m_origin.reset();
    m_timer.start(m_server.m_settings.idleTimeoutMs);
    m_parser.next();
    if (!m_input.isEmpty() || m_socket->bytesAvailable() > 0) {
        QMetaObject::invokeMethod(
            this, [this] { readClient(); }, Qt::QueuedConnection);
    }
}

void ProxyConnection::closeSoon()
{
    m_state = State::Closing;
    m_timer.stop();
    if (m_transfer) {
        m_server.m_upstream.cancel(m_transfer);
        m_transfer = 0;
    }
    if (m_tunnel) {
        m_tunnel->abort();
    }
    m_socket->disconnectFromHost(); // after pending bytes are written
}

} // namespace detail

// ---------------------------------------------------------------------------------------
// The listener.

ProxyServer::ProxyServer(ProxySettings settings, PaymentGateway& payments,
                         const AgentDirectory& agents, QObject* parent)
    : QObject(parent)
    , m_settings(std::move(settings))
    , m_payments(payments)
    , m_agents(agents)
    , m_upstream(m_settings.upstreamTls)
{
}

ProxyServer::~ProxyServer()
{
    // Connections are children; they go before the upstream transfers they reference.
    // Also those already forgotten and waiting for deleteLater: every connection goes while
    // the server's members it touches still exist.
    m_connections.clear();
    const QObjectList children = this->children();
    for (QObject* child : children) {
        delete dynamic_cast<detail::ProxyConnection*>(child);
    }
}

bool ProxyServer::listen()
{
    quint16 port = m_settings.port;
    QStringList failures;
    for (const QHostAddress& address : m_settings.addresses) {
        auto* server = new detail::ListeningSocket(this);
        server->setMaxPendingConnections(256);
        if (!server->listen(address, port)) {
            failures << QStringLiteral("%1: %2").arg(address.toString(), server->errorString());
            delete server;
            continue;
        }
        port = server->serverPort(); // the same port on every address
        connect(server, &QTcpServer::newConnection, this, [this, server] { accept(server); });
        m_servers.append(server);
    }
    if (m_servers.isEmpty()) {
        m_error = QStringLiteral("The proxy cannot listen on port %1 (%2).")
                      .arg(m_settings.port)
                      .arg(failures.join(QStringLiteral("; ")));
        return false;
    }
    m_port = port;
    return true;
}

void ProxyServer::accept(QTcpServer* server)
{
    while (QTcpSocket* socket = server->nextPendingConnection()) {
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        auto* connection = new detail::ProxyConnection(*this, socket);
        // Room for the newcomer: past either limit, the oldest connection that has not shown
        // a credential for longer than the grace period goes (without an answer: it has
        // asked nothing the wallet would answer). Fresh ones stay, so a burst of agents
        // connecting at once does not push itself out; when no slot can be freed the
        // newcomer is refused.
        int unauthenticated = 0;
        detail::ProxyConnection* oldest = nullptr;
        for (detail::ProxyConnection* open : std::as_const(m_connections)) {
            if (open->unauthenticated()) {
                ++unauthenticated;
                if (!oldest && open->ageMs() >= m_settings.unauthenticatedGraceMs) {
                    oldest = open;
                }
            }
        }
        const bool full = m_connections.size() >= m_settings.maxConnections;
        if ((full || unauthenticated >= m_settings.maxUnauthenticatedConnections) && oldest) {
            oldest->evict(); // forgets itself
        }
        m_connections.append(connection);
        if (m_connections.size() > m_settings.maxConnections) {
            connection->refuseAndClose(QStringLiteral("too_many_connections"),
                                       QStringLiteral("The proxy has too many open connections."));
        }
    }
}

void ProxyServer::forget(detail::ProxyConnection* connection)
{
    m_connections.removeOne(connection);
}

bool ProxyServer::bypassed(const QString& host) const
{
    const QString name = host.toLower();
    for (const QString& entry : m_settings.bypassHosts) {
        const QString pattern = entry.trimmed().toLower();
        if (pattern == name ||
            (pattern.startsWith(QLatin1String("*.")) && name.endsWith(pattern.mid(1)))) {
            return true;
        }
    }
    return false;
}

bool ProxyServer::hostAllowed(QByteArrayView hostHeader) const
{
    QByteArray host = hostHeader.toByteArray().trimmed().toLower();
    // Strip the port; IPv6 literals keep their brackets until then.
    if (host.startsWith('[')) {
        const qsizetype close = host.indexOf(']');
        host = close > 0 ? host.mid(1, close - 1) : QByteArray();
    } else if (const qsizetype colon = host.lastIndexOf(':'); colon >= 0) {
        host = host.left(colon);
    }
    if (host == "localhost" || host == "127.0.0.1" || host == "::1") {
        return true;
    }
    for (const QHostAddress& address : m_settings.addresses) {
        if (QHostAddress(QString::fromLatin1(host)) == address) {
            return true;
        }
    }
    return m_settings.extraAllowedHosts.contains(QString::fromLatin1(host), Qt::CaseInsensitive);
}

// ---------------------------------------------------------------------------------------

ProxyThread::ProxyThread(ProxySettings settings, PaymentGateway& payments,
                         const AgentDirectory& agents)
    : m_settings(std::move(settings))
    , m_payments(payments)
    , m_agents(agents)
{
    m_thread.setObjectName(QStringLiteral("l402-proxy"));
}

ProxyThread::~ProxyThread()
{
    if (m_server) {
        QMetaObject::invokeMethod(
            m_server, [server = m_server] { delete server; }, Qt::BlockingQueuedConnection);
    }
    m_thread.quit();
    m_thread.wait();
}

Result<quint16> ProxyThread::start()
{
    m_thread.start();
    // Everything of the proxy is made on its thread, so every object and timer lives there.
    QObject context;
    context.moveToThread(&m_thread);
    Result<quint16> result = Result<quint16>::failure(QStringLiteral("proxy"), QString());
    QMetaObject::invokeMethod(
        &context,
        [this, &result] {
            m_server = new ProxyServer(m_settings, m_payments, m_agents);
            if (m_server->listen()) {
                result = m_server->port();
            } else {
                result = Result<quint16>::failure(QStringLiteral("proxy_listen"),
                                                  m_server->errorString());
                delete m_server;
                m_server = nullptr;
            }
        },
        Qt::BlockingQueuedConnection);
    return result;
}

} // namespace l402::proxy
