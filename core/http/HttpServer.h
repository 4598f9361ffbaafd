#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QHostAddress>
#include <QJsonDocument>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QString>
#include <QUrl>
#include <QUrlQuery>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <utility>

class QTcpServer;

namespace l402::http {

// Header fields in order, names as written; repeated names stay repeated.
using HttpHeaders = QList<std::pair<QByteArray, QByteArray>>;

struct BasicCredentials {
    QString user;
    QString password;
};

// One request as the server received it (parsed by http-parser, body de-chunked).
struct HttpRequest {
    QByteArray method;         // "GET", "POST", ...
    QByteArray target;         // the request-target as sent: "/v1/payments?x=1"
    QString path;              // percent-decoded path of the target, without the query
    QUrlQuery query;           // query of the target
    HttpHeaders headers;       // as received
    QByteArray body;           // de-chunked
    int httpMinor = 1;         // HTTP/1.<httpMinor>
    quint64 connectionId = 0;  // 1, 2, ... in accept order: same id = same connection
    int indexOnConnection = 0; // 0 for the first request on its connection

    // Values of the header named `name` (case-insensitive), joined by ", " as HTTP combines
    // repeated fields; empty when absent.
    QByteArray header(QByteArrayView name) const;
    QList<QByteArray> headerValues(QByteArrayView name) const;
    bool hasHeader(QByteArrayView name) const;
    // User and password of `Basic` credentials in `headerName`, if well formed.
    std::optional<BasicCredentials>
    basicCredentials(QByteArrayView headerName = "Authorization") const;
    // The body as JSON; a null document when it is not JSON.
    QJsonDocument json() const;
};

namespace detail {
class HttpConnection;
}

// How a handler answers its request. A cheap handle: copy it into timers or keep it in the
// test to answer later. Every call is ignored once the connection is gone or has moved on to
// another request, so a stale copy can never corrupt a later response. A handler that does
// nothing leaves the request unanswered (a node that hangs: client timeout tests).
class HttpResponder {
public:
    enum class StreamEnd {
        Finish,        // terminating chunk; the connection may be reused
        CloseAbruptly, // drop the connection after the last chunk (a crash mid-response)
        StayOpen,      // stop writing, never finish (a stream that stalls)
    };

    // Answers nothing: every call is ignored (a placeholder for a test to fill in later).
    HttpResponder();
    HttpResponder(const HttpResponder&);
    HttpResponder& operator=(const HttpResponder&);
    ~HttpResponder();

    // Answers now. Content-Length is added unless `headers` carry it or Transfer-Encoding.
    // A `Connection: close` header closes the connection once written.
    void reply(int status, const HttpHeaders& headers = {}, const QByteArray& body = {});
    void replyJson(int status, const QJsonDocument& json, const HttpHeaders& headers = {});
    void replyAfter(std::chrono::milliseconds delay, int status, const HttpHeaders& headers = {},
                    const QByteArray& body = {});

    // Runs `step` after `delay` on the event loop, unless this exchange is over by then.
    void later(std::chrono::milliseconds delay, std::function<void(HttpResponder&)> step);

    // Streaming: headers now with chunked Transfer-Encoding (or, when `headers` carry a
    // Content-Length, the body raw under that length, which makes a truncated body easy),
    // then chunks over time, then finishStream().
    void startStream(int status, const HttpHeaders& headers = {});
    void writeChunk(const QByteArray& data);
    void finishStream();
    // startStream + one chunk every `interval` (the first at once) + `end`.
    void streamChunks(int status, const HttpHeaders& headers, const QList<QByteArray>& chunks,
                      std::chrono::milliseconds interval, StreamEnd end = StreamEnd::Finish);

    // Writes bytes as they are (malformed or hand-made responses). The connection is not
    // reused afterwards: end with closeGracefully() or closeAbruptly().
    void sendRaw(const QByteArray& bytes);
    // Drops the connection now, after what was already written is handed to the kernel,
    // with no TLS close_notify: what a client sees when the node crashes.
    void closeAbruptly();
    // Ends the connection cleanly after pending data (FIN, TLS close_notify).
    void closeGracefully();
    // Says so in the handler; does nothing.
    void neverAnswer() {}

    // The connection is open and this is still the request it is answering.
    bool isCurrent() const;
    bool isConnected() const;

private:
    friend class detail::HttpConnection;
    HttpResponder(detail::HttpConnection* connection, quint64 exchange);

    QPointer<detail::HttpConnection> m_connection;
    quint64 m_exchange = 0;
};

// A small HTTP/1.1 server, plain or TLS, on the caller's event loop (no threads): the built-in
// demo paid API, and the faithful doubles of LND REST, clnrest, LNbits and phoenixd in
// tests/support (hence the knobs for misbehaving on purpose). Requests are parsed by
// http-parser, handled one at a time per connection (pipelined ones wait their turn),
// kept alive unless the client or the response says otherwise, and all recorded.
class HttpServer : public QObject {
    Q_OBJECT
public:
    using Handler = std::function<void(const HttpRequest&, HttpResponder&)>;

    explicit HttpServer(QObject* parent = nullptr);
    ~HttpServer() override;

    // Port 0 picks a free one. Listening again after close() may reuse the old port().
    [[nodiscard]] bool listen(const QHostAddress& address = QHostAddress(QHostAddress::LocalHost),
                              quint16 port = 0);
    [[nodiscard]] bool
    listenTls(const QSslConfiguration& configuration,
              const QHostAddress& address = QHostAddress(QHostAddress::LocalHost),
              quint16 port = 0);
    [[nodiscard]] bool listenTls(const QSslCertificate& certificate, const QSslKey& privateKey,
                                 const QList<QSslCertificate>& chain = {});
    // Stops listening (new connections are refused) and drops every open connection: a node
    // that went away. port() keeps the old value for a later listen(address, port()).
    void close();
    bool isListening() const;
    bool isTls() const { return m_tls; }
    quint16 port() const { return m_port; }
    QUrl baseUrl() const; // http(s)://127.0.0.1:<port>
    // baseUrl() with `pathAndQuery` ("/v1/getinfo?x=1") appended.
    QUrl url(const QString& pathAndQuery) const;

    // `pathPattern` matches the decoded path exactly, or every path starting with its prefix
    // when it ends in '*'. An empty `method` matches any method. The most recently added
    // matching route wins, so a test can change a behaviour halfway; re-adding the same
    // method and pattern replaces the handler.
    void route(const QByteArray& method, const QString& pathPattern, Handler handler);
    void removeRoutes();
    // For requests no route matches; by default 404 with a JSON error.
    void setFallback(Handler handler);

    // Whether handled requests are kept for requests() (tests); off for long-running servers.
    void setRecording(bool on) { m_recording = on; }
    QList<HttpRequest> requests() const { return m_requests; }
    qsizetype requestCount() const { return m_requests.size(); }
    // Requests with this method and exactly this decoded path.
    qsizetype requestCount(const QByteArray& method, const QString& path) const;
    void clearRequests() { m_requests.clear(); }

    int connectionsAccepted() const { return m_connectionsAccepted; }
    int openConnections() const;
    int tlsHandshakeFailures() const { return m_tlsHandshakeFailures; }
    // Aborts every open connection now (no response, no close_notify); keeps listening.
    void dropAllConnections();

Q_SIGNALS:
    // A whole request arrived (before it is handled, in order of arrival).
    void requestReceived(const l402::http::HttpRequest& request);

private:
    friend class detail::HttpConnection;
    struct Route {
        QByteArray method;
        QString pattern;
        Handler handler;
    };

    [[nodiscard]] bool startListening(const QHostAddress& address, quint16 port);
    void acceptPending();
    Handler handlerFor(const HttpRequest& request) const;
    void record(const HttpRequest& request);
    void forget(detail::HttpConnection* connection);

    std::unique_ptr<QTcpServer> m_server;
    bool m_tls = false;
    QSslConfiguration m_tlsConfiguration;
    QHostAddress m_address{QHostAddress::LocalHost};
    quint16 m_port = 0;
    QList<Route> m_routes;
    Handler m_fallback;
    QList<HttpRequest> m_requests;
    QList<detail::HttpConnection*> m_connections;
    quint64 m_nextConnectionId = 1;
    int m_connectionsAccepted = 0;
    int m_tlsHandshakeFailures = 0;
    bool m_recording = true;
};

} // namespace l402::http
