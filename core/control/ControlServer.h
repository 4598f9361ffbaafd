#pragma once

#include "core/payments/PaymentGateway.h"
#include "core/policy/ApprovalBroker.h"
#include "core/policy/OwnerProof.h"
#include "core/util/Result.h"

#include <QJsonObject>
#include <QObject>
#include <QString>

#include <chrono>
#include <memory>

class QLocalServer;
class QLocalSocket;

namespace l402::control {

// Who is on the other end of a control connection, from SO_PEERCRED and /proc: what the
// owner is shown before confirming a command in the window.
struct CallerProcess {
    qint64 pid = 0;
    uint uid = 0;
    QString executable;  // /proc/PID/exe
    QString commandLine; // /proc/PID/cmdline, arguments joined by spaces (may be cut)
};

// An owner command waiting for the owner's click in the window.
struct OwnerRequest {
    QString id;
    QString operation; // "budget set"
    QString command;   // the words as typed: "budget set * --mode auto"
    QString effect;    // in plain words: "change the spending rule for "*" ..."
    CallerProcess caller;
};

// The running wallet's local control socket (`<data dir>/control.sock`), for the CLI and MCP.
// Same user only: the socket is created with user-only access inside the 0700 data folder,
// and each connection's peer credentials (SO_PEERCRED) must show this process's uid. Being
// the same user proves nothing more (agents run as the user): each request is gated by its
// class in ControlCommands' table (DESIGN §3.8):
//   read, brake   -> anyone who reaches the socket;
//   agent         -> "agent_credential": "name:secret", verified; the request acts as that
//                    agent only and gets only the tokens it bought;
//   owner         -> "proof": {"secret": ..} (the passphrase or owner PIN a person typed on a
//                    terminal), or a click in the window (the connection first gets the line
//                    {"pending": "window", "message"}), or `serve --trust-same-user`; else
//                    owner_confirmation_required with the proof kinds that would do.
// Protocol: one JSON object per line each way; answers {"ok": true, "result": ..} or
// {"ok": false, "error": {"code", "message"}}. Requests:
//   {"cmd": "status"}                          -> {"version", "pid", "owner_proof", "proxy_port",
//                                                 "agent" (whom agent_credential proves)}
//   {"cmd": "approvals"}                       -> the payments waiting for approval
//   {"cmd": "approve"|"deny", "id", "remember": "once|1h|session|always"}
//   {"cmd": "run", "command", "arguments", "json"} -> {"exit", "stdout", "stderr"}: a CLI data
//       command run on the open wallet (see setCommandRunner)
//   {"cmd": "credential", "origin", "path"}   -> {"credential": null | {..}}
//   {"cmd": "pay", "context": {..}, "www_authenticate": [..]} -> {"credential": {..}}
//   {"cmd": "set-owner-pin", "pin"}            -> {} (owner)
// "credential" and "pay" are how fetch and mcp pay through the running wallet (its budgets,
// its approvals, its one payment per origin); "pay" may take as long as an approval does, so
// a client sends one request per connection for it.
class ControlServer : public QObject {
    Q_OBJECT
public:
    explicit ControlServer(policy::ApprovalBroker& broker, QObject* parent = nullptr);
    ~ControlServer() override;

    using CommandRunner = std::function<QJsonObject(const QJsonObject& request)>;
    void setCommandRunner(CommandRunner runner) { m_runner = std::move(runner); }
    // Must outlive the server.
    void setPaymentGateway(payments::PaymentGateway* gateway) { m_gateway = gateway; }
    // name:secret -> the agent's name when valid.
    using AgentVerifier = std::function<std::optional<QString>(QByteArrayView)>;
    void setAgentVerifier(AgentVerifier verifier) { m_verifyAgent = std::move(verifier); }
    // Must outlive the server; lives on its thread. Without one no proof is accepted.
    void setOwnerProof(policy::OwnerProof* proof) { m_ownerProof = proof; }
    // `serve --trust-same-user`: owner commands need no proof (documented opt-out).
    void setTrustSameUser(bool trust) { m_trustSameUser = trust; }
    bool trustsSameUser() const { return m_trustSameUser; }
    // The proxy's port, for `status` (`run` points its agent at it); 0 while none listens.
    void setProxyPort(quint16 port) { m_proxyPort = port; }
    // The window: asks the owner and calls `done(allowed)` once (a timeout is a deny).
    using OwnerConfirmer =
        std::function<void(const OwnerRequest& request, std::function<void(bool allowed)> done)>;
    void setOwnerConfirmer(OwnerConfirmer confirmer) { m_confirmOwner = std::move(confirmer); }

    static QString socketPath(const QString& dataDir);
    // The caller holds the data folder's lock, so a socket file left by a crashed instance is
    // stale and replaced.
    Status listen(const QString& dataDir);

private:
    using Reply = std::function<void(const QJsonObject&)>;
    void serve(QLocalSocket* socket);
    void handle(const QJsonObject& request, const CallerProcess& caller, const Reply& reply);
    void checkOwner(const QJsonObject& request, const CallerProcess& caller,
                    const QString& operation, const Reply& reply, std::function<void()> allowed);
    // Synchronous answers; empty for the asynchronous ones ("pay"), which `reply` later.
    // `agent`: the verified agent for agent-class requests.
    std::optional<QJsonObject> answer(const QJsonObject& request, const QString& agent,
                                      const Reply& reply);

    policy::ApprovalBroker& m_broker;
    CommandRunner m_runner;
    payments::PaymentGateway* m_gateway = nullptr;
    AgentVerifier m_verifyAgent;
    policy::OwnerProof* m_ownerProof = nullptr;
    bool m_trustSameUser = false;
    quint16 m_proxyPort = 0;
    OwnerConfirmer m_confirmOwner;
    qint64 m_nextOwnerRequest = 0;
    std::unique_ptr<QLocalServer> m_server;
};

// The data folder's control commands, for the table test: every "cmd" the server answers.
QStringList controlCommandNames();
CallerProcess callerProcess(qint64 pid);

// One request to a running wallet; `control_unavailable` when none is running. Interim
// {"pending"} lines (an owner command waiting for the window) go to `pending`, if given, and
// extend the wait by `pendingTimeout`.
Result<QJsonObject>
controlRequest(const QString& dataDir, const QJsonObject& request,
               std::chrono::milliseconds timeout = std::chrono::seconds(10),
               const std::function<void(const QString&)>& pending = {},
               std::chrono::milliseconds pendingTimeout = std::chrono::minutes(3));

// The payment engine of the wallet that is running, for fetch and mcp while the window or
// `serve` holds the wallet: asks over the control socket, one connection per call.
class RemoteGateway final : public payments::PaymentGateway {
public:
    // `agentCredential`: name:secret, sent with every request (the wallet acts as that agent).
    RemoteGateway(QString dataDir, QByteArray agentCredential);
    void credentialFor(const policy::Origin& origin, const QString& path, QObject* context,
                       std::function<void(std::optional<payments::Credential>)> done) override;
    void paymentRequired(const payments::RequestContext& request,
                         const QList<QByteArray>& wwwAuthenticate, QObject* context,
                         std::function<void(Result<payments::Credential>)> done) override;

private:
    // Sends `request` and calls `done` with the answer's result or its error.
    void ask(QJsonObject request, QObject* context, std::function<void(Result<QJsonValue>)> done);
    QString m_dataDir;
    QByteArray m_agentCredential;
};

} // namespace l402::control
