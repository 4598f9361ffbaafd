#pragma once

#include "core/payments/PaymentGateway.h"
#include "core/policy/ApprovalBroker.h"
#include "core/util/Result.h"

#include <QJsonObject>
#include <QObject>
#include <QString>

#include <chrono>
#include <memory>

class QLocalServer;
class QLocalSocket;

namespace l402::control {

// The running wallet's local control socket (`<data dir>/control.sock`), for the CLI and MCP.
// Same user only: the socket is created with user-only access inside the 0700 data folder,
// and each connection's peer credentials (SO_PEERCRED) must show this process's uid.
// Protocol: one JSON object per line each way; answers {"ok": true, "result": ..} or
// {"ok": false, "error": {"code", "message"}}. Requests:
//   {"cmd": "status"}                          -> {"version", "pid"}
//   {"cmd": "approvals"}                       -> the payments waiting for approval
//   {"cmd": "approve"|"deny", "id", "remember": "once|1h|session|always"}
//   {"cmd": "run", "command", "arguments", "json"} -> {"exit", "stdout", "stderr"}: a CLI data
//       command run on the open wallet (see setCommandRunner)
//   {"cmd": "credential", "origin", "path"}   -> {"credential": null | {..}}
//   {"cmd": "pay", "context": {..}, "www_authenticate": [..]} -> {"credential": {..}}
// "credential" and "pay" are how fetch and mcp pay through the running wallet (its budgets,
// its approvals, its one payment per origin); "pay" may take as long as an approval does, so
// a client sends one request per connection for it.
// Everyone who can reach the socket is the wallet's own user; that is the trust boundary, as
// for the CLI on a closed wallet.
class ControlServer : public QObject {
    Q_OBJECT
public:
    explicit ControlServer(policy::ApprovalBroker& broker, QObject* parent = nullptr);
    ~ControlServer() override;

    using CommandRunner = std::function<QJsonObject(const QJsonObject& request)>;
    void setCommandRunner(CommandRunner runner) { m_runner = std::move(runner); }
    // Must outlive the server.
    void setPaymentGateway(payments::PaymentGateway* gateway) { m_gateway = gateway; }

    static QString socketPath(const QString& dataDir);
    // The caller holds the data folder's lock, so a socket file left by a crashed instance is
    // stale and replaced.
    Status listen(const QString& dataDir);

private:
    void serve(QLocalSocket* socket);
    // Synchronous answers; empty for the asynchronous ones ("pay"), which `reply` later.
    std::optional<QJsonObject> answer(const QJsonObject& request,
                                      const std::function<void(const QJsonObject&)>& reply);

    policy::ApprovalBroker& m_broker;
    CommandRunner m_runner;
    payments::PaymentGateway* m_gateway = nullptr;
    std::unique_ptr<QLocalServer> m_server;
};

// One request to a running wallet; `control_unavailable` when none is running.
Result<QJsonObject> controlRequest(const QString& dataDir, const QJsonObject& request,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(10));

// The payment engine of the wallet that is running, for fetch and mcp while the window or
// `serve` holds the wallet: asks over the control socket, one connection per call.
class RemoteGateway final : public payments::PaymentGateway {
public:
    explicit RemoteGateway(QString dataDir);
    void credentialFor(const policy::Origin& origin, const QString& path, QObject* context,
                       std::function<void(std::optional<payments::Credential>)> done) override;
    void paymentRequired(const payments::RequestContext& request,
                         const QList<QByteArray>& wwwAuthenticate, QObject* context,
                         std::function<void(Result<payments::Credential>)> done) override;

private:
    // Sends `request` and calls `done` with the answer's result or its error.
    void ask(const QJsonObject& request, QObject* context,
             std::function<void(Result<QJsonValue>)> done);
    QString m_dataDir;
};

} // namespace l402::control
