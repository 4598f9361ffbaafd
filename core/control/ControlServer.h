#pragma once

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
// Protocol: one JSON object per line each way. Requests {"cmd": "approvals"},
// {"cmd": "approve", "id": .., "remember": "once|1h|session|always"}, {"cmd": "deny", "id":
// ..}; answers {"ok": true, "result": ..} or {"ok": false, "error": {"code", "message"}}.
class ControlServer : public QObject {
    Q_OBJECT
public:
    explicit ControlServer(policy::ApprovalBroker& broker, QObject* parent = nullptr);
    ~ControlServer() override;

    static QString socketPath(const QString& dataDir);
    // The caller holds the data folder's lock, so a socket file left by a crashed instance is
    // stale and replaced.
    Status listen(const QString& dataDir);

private:
    void serve(QLocalSocket* socket);
    QJsonObject answer(const QJsonObject& request);

    policy::ApprovalBroker& m_broker;
    std::unique_ptr<QLocalServer> m_server;
};

// One request to a running wallet; `control_unavailable` when none is running.
Result<QJsonObject> controlRequest(const QString& dataDir, const QJsonObject& request,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(10));

} // namespace l402::control
