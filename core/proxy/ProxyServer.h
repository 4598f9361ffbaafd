#pragma once

#include "core/payments/PaymentEngine.h"
#include "core/payments/PaymentGateway.h"
#include "core/policy/Origin.h"
#include "core/proxy/CurlMulti.h"
#include "core/proxy/LocalCa.h"

#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QReadWriteLock>
#include <QStringList>
#include <QThread>

#include <functional>
#include <memory>
#include <optional>

class QTcpServer;

namespace l402::proxy {

// Limits of the listener, named so they can be read, tested and tuned in one place.
inline constexpr qsizetype kMaxRequestTargetBytes = 8 * 1024;
inline constexpr qsizetype kMaxHeaderBytes = 32 * 1024; // all request header fields together
inline constexpr int kMaxHeaderFields = 128;
inline constexpr qint64 kMaxReplayBodyBytes = 8 * 1024 * 1024;
inline constexpr int kMaxConnections = 1024;
// Connections none of whose requests has shown a credential yet may hold at most this many
// slots; past it (or when all slots are taken) the oldest of them is dropped for a newcomer,
// so slow unauthenticated clients cannot lock agents out. Such a connection costs at most
// one request head: no body is read before its head is admitted (Admission.h).
inline constexpr int kMaxUnauthenticatedConnections = 256;
// ...but only connections older than this: an agent's head arrives well within it.
inline constexpr int kUnauthenticatedGraceMs = 2'000;
inline constexpr int kHeaderTimeoutMs = 15'000; // a request head must arrive within this
// A request body must arrive at least this fast: so many bytes per kHeaderTimeoutMs window
// (about 1 KiB/s), or the connection is closed. An upload that waits on a slow upstream is
// not counted against its client.
inline constexpr qint64 kMinBodyBytesPerWindow = 16 * 1024;
// Request bodies kept for replaying after a payment, across all connections together.
inline constexpr qint64 kMaxTotalReplayBytes = 64 * 1024 * 1024;
inline constexpr int kIdleTimeoutMs = 60'000; // keep-alive connections idle this long close
inline constexpr qint64 kMaxBufferedToClient = 1024 * 1024; // then the upstream is paused
inline constexpr qint64 kReadBufferBytes = 64 * 1024;       // read ahead from a client at most this
inline constexpr qsizetype kMaxPipelinedBytes = 64 * 1024;  // held while a request is handled
inline constexpr qsizetype kMaxChallengeBodyBytes = 64 * 1024; // a 402 body kept for replay

struct ProxySettings {
    QList<QHostAddress> addresses{QHostAddress(QHostAddress::LocalHost),
                                  QHostAddress(QHostAddress::LocalHostIPv6)};
    quint16 port = 8402;
    UpstreamTls upstreamTls;
    qint64 maxReplayBodyBytes = kMaxReplayBodyBytes;
    int maxConnections = kMaxConnections;
    int maxUnauthenticatedConnections = kMaxUnauthenticatedConnections;
    int unauthenticatedGraceMs = kUnauthenticatedGraceMs;
    qint64 maxTotalReplayBytes = kMaxTotalReplayBytes;
    int headerTimeoutMs = kHeaderTimeoutMs;
    int idleTimeoutMs = kIdleTimeoutMs;
    // Host names the gateway answers to besides loopback names and the listen addresses.
    QStringList extraAllowedHosts;
    // CONNECT interception: TLS inside a tunnel is terminated with a leaf of this CA and the
    // requests in it are read (and paid for) like any other. Without a CA, or for hosts on
    // the bypass list (`host` or `*.domain`), TLS tunnels are blind.
    std::shared_ptr<LocalCa> ca;
    QStringList bypassHosts;
};

// What the proxy needs from the wallet (see payments::PaymentGateway).
using payments::PaymentGateway;

// The payment engine seen from another thread: calls are queued to the engine's thread and
// their results queued back. The cached-token path, taken by every request to a site already
// paid for, is answered on the caller's thread from a copy of the origin's tokens that the
// engine invalidates whenever they change: no thread hop per request.
class EngineGateway final : public PaymentGateway {
public:
    // Construct and destroy on the engine's thread.
    explicit EngineGateway(payments::PaymentEngine& engine);
    ~EngineGateway() override;
    void credentialFor(const policy::Origin& origin, const QString& path, QObject* context,
                       std::function<void(std::optional<payments::Credential>)> done) override;
    void paymentRequired(const payments::RequestContext& request,
                         const QList<QByteArray>& wwwAuthenticate, QObject* context,
                         std::function<void(Result<payments::Credential>)> done) override;

private:
    struct Snapshot {
        QList<payments::Token> tokens;
        QHash<int64_t, QByteArray> values; // token id -> Authorization value, made once
        QHash<QString, int64_t> paths;     // path -> token id that path takes
    };
    // Under m_lock: the answer from the copy, or nothing when the engine must be asked.
    std::optional<std::optional<payments::Credential>> fromSnapshot(const QString& origin,
                                                                    const QString& path) const;
    void remember(const QString& origin, const QString& path, int64_t tokenId);

    QPointer<payments::PaymentEngine> m_engine;
    mutable QReadWriteLock m_lock;
    QHash<QString, Snapshot> m_snapshots;
};

// Agent credentials as the proxy threads see them: a snapshot the wallet replaces whenever
// agents change (AgentBook::credentials()).
class AgentDirectory {
public:
    void replace(QHash<QString, QByteArray> credentials);
    // The agent's name when `nameColonSecret` is a valid credential.
    std::optional<QString> verify(QByteArrayView nameColonSecret) const;

private:
    mutable QReadWriteLock m_lock;
    QHash<QString, QByteArray> m_credentials;
};

namespace detail {
class ProxyConnection;
}

// The local proxy (DESIGN §4): a forward proxy for absolute-form HTTP requests and CONNECT,
// and the gateway form /gw/<scheme>/<host>[:port]/<path> that needs neither proxy settings nor
// a CA. Every request needs an agent credential. A 402 from upstream goes to the payment
// engine; the request is replayed with the credential it returns. Requests are framed by
// http-parser; upstream transfers run through libcurl's multi interface. Lives on one thread
// (its own in the app; see ProxyThread).
class ProxyServer : public QObject {
    Q_OBJECT
public:
    ProxyServer(ProxySettings settings, PaymentGateway& payments, const AgentDirectory& agents,
                QObject* parent = nullptr);
    ~ProxyServer() override;

    // Listens on every configured address; false with errorString() when none could be bound.
    [[nodiscard]] bool listen();
    quint16 port() const { return m_port; }
    QString errorString() const { return m_error; }
    int openConnections() const { return static_cast<int>(m_connections.size()); }
    // Bytes of request bodies currently reserved for replay, across connections.
    qint64 replayBytesReserved() const { return m_replayBytesReserved; }
    const ProxySettings& settings() const { return m_settings; }

private:
    friend class detail::ProxyConnection;
    void accept(QTcpServer* server);
    void forget(detail::ProxyConnection* connection);
    bool hostAllowed(QByteArrayView hostHeader) const;
    bool bypassed(const QString& host) const;

    ProxySettings m_settings;
    PaymentGateway& m_payments;
    const AgentDirectory& m_agents;
    CurlMulti m_upstream;
    QList<QTcpServer*> m_servers;
    QList<detail::ProxyConnection*> m_connections; // oldest first
    qint64 m_replayBytesReserved = 0;              // see kMaxTotalReplayBytes
    quint16 m_port = 0;
    QString m_error;
};

// Runs a ProxyServer on a thread of its own, as the app does (never on the GUI thread).
class ProxyThread {
public:
    ProxyThread(ProxySettings settings, PaymentGateway& payments, const AgentDirectory& agents);
    ~ProxyThread();
    // Starts the thread and listens there; false with the reason when it cannot listen.
    Result<quint16> start();

private:
    ProxySettings m_settings;
    PaymentGateway& m_payments;
    const AgentDirectory& m_agents;
    QThread m_thread;
    ProxyServer* m_server = nullptr; // lives on m_thread
};

} // namespace l402::proxy
