#pragma once

#include "app/DemoWorld.h"
#include "app/WalletRuntime.h"
#include "core/control/ControlServer.h"
#include "core/node/NodeSettings.h"
#include "core/proxy/ProxyServer.h"
#include "core/service/WalletService.h"
#include "core/store/SecretStore.h"
#include "core/store/WalletStore.h"

#include <QHash>
#include <QJsonArray>
#include <QObject>
#include <QString>

#include <chrono>
#include <functional>
#include <memory>

namespace l402::app {

// Everything that runs behind the window or `serve`: unlock the wallet, settle unresolved
// payments with the node, then open the proxy (on its own thread); under --demo also the demo
// paid API and a demo agent. Lives on one thread — the main one for `serve`, a worker for the
// window (the GUI thread never touches the database) — and reports through signals.
class WalletHost : public QObject {
    Q_OBJECT
public:
    struct Options {
        store::UnlockRequest unlock;
        bool demo = false;
        proxy::ProxySettings proxy;
        // The window answers approvals itself, so a rule that asks can be asked even when
        // the control socket cannot open.
        bool approverPresent = false;
        // serve --listen: the port given wins over the one stored in Settings.
        bool portExplicit = false;
        // First run: the node chosen in the window, saved before the engine starts.
        std::optional<node::NodeSettings> initialNode;
        // The window confirms owner commands that arrive over the control socket.
        bool ownerWindow = false;
        // serve --trust-same-user: owner commands over the socket need no proof.
        bool trustSameUser = false;
        // Runs right after the unlock, before anything serves; a failure stops the host.
        std::function<Status(store::WalletStore&)> beforeServing;
        // How long the window's owner confirmation waits before it is a deny.
        std::chrono::milliseconds ownerConfirmTimeout = std::chrono::seconds(60);
    };

    explicit WalletHost(Options options, QObject* parent = nullptr);
    ~WalletHost() override;

    // Call on the host's thread.
    void start();
    // The window's answer to ownerConfirmationNeeded (any thread; queued to the host's).
    void answerOwner(const QString& id, bool allowed);

Q_SIGNALS:
    void unlocked(const QString& dataDir, qint64 payments);
    void failed(const QString& code, const QString& message);
    void warning(const QString& message);
    void demoReady(const QString& apiUrl, const QString& tryLine);
    void proxyListening(quint16 port);
    // The window's access to the wallet's data (lives on the host's thread).
    void serviceReady(l402::service::WalletService* service);
    // A payment waits for someone to approve it (serve logs this for the CLI's user).
    void approvalNeeded(const QString& id, const QString& summary);
    // An owner command from another process waits for the window's confirmation; answer with
    // answerOwner(id, ..) before `timeoutMs`, or it is denied.
    void ownerConfirmationNeeded(const l402::control::OwnerRequest& request, qint64 timeoutMs);
    // It was answered or timed out (the window closes its dialog).
    void ownerConfirmationEnded(const QString& id);

private:
    void onUnlocked(std::unique_ptr<store::WalletStore> wallet);
    void startProxy();
    // The CA changed (Settings → Regenerate): the proxy restarts with the new one.
    void restartProxyWithNewCa();
    void openControlSocket();
    void reloadAgents();
    // The user's Settings page choices (port, HTTPS interception, bypass list, approval
    // timeout), on top of what the command line gave.
    void applyStoredSettings();
    // After a CLI data command ran here: the copies kept in memory follow the database.
    void dataChangedElsewhere(const QString& command, const QJsonArray& arguments);
    // Starts the demo API and returns the demo agent's secret.
    QString prepareDemo();

    Options m_options;
    std::unique_ptr<store::KeychainSecretStore> m_keychain;
    std::unique_ptr<store::WalletStore> m_wallet;
    std::unique_ptr<WalletRuntime> m_runtime;
    std::unique_ptr<DemoWorld> m_demo;
    std::unique_ptr<proxy::EngineGateway> m_gateway;
    proxy::AgentDirectory m_agents;
    std::unique_ptr<proxy::ProxyThread> m_proxy;
    std::unique_ptr<control::ControlServer> m_control;
    std::unique_ptr<service::WalletService> m_service;
    quint16 m_proxyPort = 0;
    QString m_demoSecret;
    std::unique_ptr<policy::OwnerProof> m_ownerProof;
    QHash<QString, std::function<void(bool)>> m_ownerWaiting;
};

} // namespace l402::app
