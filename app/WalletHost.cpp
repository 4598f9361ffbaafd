#include "app/WalletHost.h"

#include "app/WalletSession.h"

#include "core/policy/Agents.h"
#include "core/policy/Budget.h"
#include "core/store/Settings.h"
#include "core/util/Money.h"

#include <QJsonArray>
#include <QPointer>
#include <QThread>
#include <QTimer>

namespace l402::app {
namespace {

// The --demo world keeps its agent's secret so the window can always show a line that works
// (simulated funds only; a real wallet keeps nothing but the hash).
constexpr auto kDemoAgent = "demo";

} // namespace

WalletHost::WalletHost(Options options, QObject* parent)
    : QObject(parent)
    , m_options(std::move(options))
{
}

WalletHost::~WalletHost()
{
    m_proxy.reset(); // stops taking requests before the engine goes
    m_control.reset();
    m_service.reset();
    m_gateway.reset();
    m_runtime.reset();
    m_demo.reset();
    m_wallet.reset();
}

void WalletHost::start()
{
    m_keychain = std::make_unique<store::KeychainSecretStore>();
    QPointer<WalletHost> self(this);
    store::openWallet(m_options.unlock, m_keychain.get(), SystemClock::instance(),
                      [self](Result<std::unique_ptr<store::WalletStore>> opened) {
                          if (!self) {
                              return;
                          }
                          if (!opened) {
                              Q_EMIT self->failed(opened.error().code, opened.error().message);
                              return;
                          }
                          self->onUnlocked(std::move(opened.value()));
                      });
}

void WalletHost::onUnlocked(std::unique_ptr<store::WalletStore> wallet)
{
    m_wallet = std::move(wallet);
    if (m_options.beforeServing) {
        if (auto ready = m_options.beforeServing(*m_wallet); !ready) {
            Q_EMIT failed(ready.error().code, ready.error().message);
            return;
        }
    }
    const auto payments = m_wallet->ledger().count();
    Q_EMIT unlocked(m_wallet->dataDir(), payments ? payments.value() : 0);

    if (m_options.demo) {
        m_demoSecret = prepareDemo();
    }
    if (m_options.initialNode) {
        if (auto saved = node::NodeSettingsRepository(m_wallet->database())
                             .save(*m_options.initialNode, SystemClock::instance().nowSeconds());
            !saved) {
            Q_EMIT warning(QStringLiteral("The node was not saved: %1").arg(saved.error().message));
        }
        m_options.initialNode.reset();
    }
    auto created = WalletRuntime::create(*m_wallet, m_options.demo, /*withoutNode=*/true);
    if (!created) {
        Q_EMIT warning(QStringLiteral("No payments are possible: %1").arg(created.error().message));
        return;
    }
    m_runtime = std::move(created.value());
    if (m_runtime->node->backendName() == QLatin1String("none")) {
        Q_EMIT warning(QStringLiteral("No Lightning node is set up: paid requests are refused "
                                      "until one is (the Node page, or 'l402-wallet node set')."));
    }
    connect(m_runtime->broker.get(), &policy::ApprovalBroker::requested, this,
            [this](const policy::ApprovalRequest& request) {
                Q_EMIT approvalNeeded(
                    request.id,
                    QStringLiteral("%1 to %2%3 (%4); answer with 'l402-wallet approve %5' or "
                                   "'l402-wallet deny %5' within %6 s")
                        .arg(formatMsatAsSat(static_cast<uint64_t>(request.amountMsat)),
                             request.origin,
                             request.agent.isEmpty()
                                 ? QString()
                                 : QStringLiteral(" for agent %1").arg(request.agent),
                             request.budgetImpact, request.id)
                        .arg(request.createdAt.secsTo(request.expiresAt)));
            });
    if (auto credentials =
            policy::AgentBook(m_wallet->database(), SystemClock::instance()).credentials()) {
        m_agents.replace(credentials.value());
        if (credentials->isEmpty()) {
            Q_EMIT warning(
                QStringLiteral("No agents yet: add one with 'l402-wallet agent add NAME'."));
        }
    }
    // The local CA for intercepting HTTPS (created on first use; its key stays in the
    // encrypted database), and the files agents point SSL_CERT_FILE & co. at.
    if (auto ca = proxy::LocalCa::loadOrCreate(m_wallet->database(), SystemClock::instance())) {
        m_options.proxy.ca = ca.value();
        if (auto written = ca.value()->writeFiles(m_wallet->dataDir()); !written) {
            Q_EMIT warning(written.error().message);
        }
    } else {
        Q_EMIT warning(
            QStringLiteral("HTTPS will pass through without payments: %1").arg(ca.error().message));
    }
    applyStoredSettings();
    m_gateway = std::make_unique<proxy::EngineGateway>(*m_runtime->engine);
    openControlSocket();
    m_service =
        std::make_unique<service::WalletService>(*m_wallet, *m_runtime->engine, *m_runtime->broker);
    connect(m_service.get(), &service::WalletService::agentsChanged, this,
            &WalletHost::reloadAgents);
    Q_EMIT serviceReady(m_service.get());
    // New payments (and so the proxy) only after unresolved ones are settled with the node.
    connect(m_runtime->engine.get(), &payments::PaymentEngine::ready, this, [this] {
        startProxy();
        if (m_demo) {
            const QString line = m_demoSecret.isEmpty() || m_proxyPort == 0
                                     ? m_demo->tryLine()
                                     : QStringLiteral("curl -H 'L402-Wallet-Agent: %1:%2' "
                                                      "http://127.0.0.1:%3/gw/http/%4/v1/quote")
                                           .arg(QLatin1String(kDemoAgent), m_demoSecret)
                                           .arg(m_proxyPort)
                                           .arg(m_demo->url(QStringLiteral("/")).authority());
            Q_EMIT demoReady(m_demo->url(QStringLiteral("/")).toString(), line);
        }
    });
    m_runtime->engine->start();
}

void WalletHost::openControlSocket()
{
    // Approvals are answered through the control socket (`approvals`, `approve`, `deny`) as
    // well as the window; `fetch`, `mcp` and the data commands reach this wallet through it.
    // Without it nobody else can, and with no window a rule that asks is a deny that says so.
    m_control = std::make_unique<control::ControlServer>(*m_runtime->broker);
    m_control->setPaymentGateway(m_gateway.get());
    m_control->setAgentVerifier(
        [this](QByteArrayView credential) { return m_agents.verify(credential); });
    m_ownerProof = std::make_unique<policy::OwnerProof>(m_wallet->database(), m_wallet->dataDir(),
                                                        SystemClock::instance());
    m_control->setOwnerProof(m_ownerProof.get());
    m_control->setTrustSameUser(m_options.trustSameUser);
    m_control->setProxyPort(m_proxyPort);
    if (m_options.ownerWindow) {
        m_control->setOwnerConfirmer(
            [this](const control::OwnerRequest& request, std::function<void(bool)> done) {
                m_ownerWaiting.insert(request.id, std::move(done));
                // No answer in time is a deny (DESIGN §3.5).
                QTimer::singleShot(m_options.ownerConfirmTimeout, this,
                                   [this, id = request.id] { answerOwner(id, false); });
                Q_EMIT ownerConfirmationNeeded(request, m_options.ownerConfirmTimeout.count());
            });
    }
    m_control->setCommandRunner([this](const QJsonObject& request) {
        const QJsonObject result = runInHost(*m_wallet, request, m_proxyPort);
        dataChangedElsewhere(request.value(QLatin1String("command")).toString(),
                             request.value(QLatin1String("arguments")).toArray());
        return result;
    });
    if (auto listening = m_control->listen(m_wallet->dataDir()); listening) {
        m_runtime->broker->setAnswerable(true);
    } else {
        m_runtime->broker->setAnswerable(m_options.approverPresent);
        Q_EMIT warning(listening.error().message);
        m_control.reset();
    }
}

void WalletHost::answerOwner(const QString& id, bool allowed)
{
    if (QThread::currentThread() != thread()) {
        QMetaObject::invokeMethod(this, [this, id, allowed] { answerOwner(id, allowed); });
        return;
    }
    auto done = m_ownerWaiting.take(id);
    if (!done) {
        return; // answered already, or timed out
    }
    Q_EMIT ownerConfirmationEnded(id);
    done(allowed);
}

void WalletHost::dataChangedElsewhere(const QString& command, const QJsonArray& arguments)
{
    const QString action = arguments.at(0).toString();
    if (command == QLatin1String("pause") || command == QLatin1String("resume") ||
        (command == QLatin1String("agent") &&
         (action == QLatin1String("pause") || action == QLatin1String("resume")))) {
        m_runtime->engine->spendingSwitchChangedElsewhere(); // the kill switch, at once
    }
    if (command == QLatin1String("agent") && arguments.at(0).toString() != QLatin1String("list")) {
        reloadAgents();
    } else if (command == QLatin1String("tokens") &&
               arguments.at(0).toString() == QLatin1String("remove")) {
        QString origin = arguments.at(1).toString();
        if (const auto parsed = policy::Origin::parse(origin)) {
            origin = parsed->toString();
        }
        m_runtime->engine->tokensChangedElsewhere({origin});
    }
}

void WalletHost::applyStoredSettings()
{
    service::WalletService reader(*m_wallet, *m_runtime->engine, *m_runtime->broker);
    auto stored = reader.settings();
    if (!stored) {
        Q_EMIT warning(stored.error().message);
        return;
    }
    if (!m_options.portExplicit) {
        m_options.proxy.port = stored->proxyPort;
    }
    if (!stored->interceptHttps) {
        m_options.proxy.ca.reset(); // HTTPS tunnels pass through blind (and unpaid)
    }
    m_options.proxy.bypassHosts += stored->bypassHosts;
    m_runtime->broker->setTimeout(std::chrono::seconds(stored->approvalTimeoutSeconds));
}

void WalletHost::reloadAgents()
{
    if (auto credentials =
            policy::AgentBook(m_wallet->database(), SystemClock::instance()).credentials()) {
        m_agents.replace(credentials.value());
    }
}

void WalletHost::restartProxyWithNewCa()
{
    auto ca = proxy::LocalCa::loadOrCreate(m_wallet->database(), SystemClock::instance());
    if (!ca) {
        Q_EMIT warning(ca.error().message);
        return;
    }
    if (m_options.proxy.ca) { // interception is on: switch to the new authority
        m_options.proxy.ca = ca.value();
    }
    if (m_proxy) {
        m_options.proxy.port = m_proxyPort; // the same address for agents
        m_proxy.reset();
        startProxy();
    }
}

void WalletHost::startProxy()
{
    m_proxy = std::make_unique<proxy::ProxyThread>(m_options.proxy, *m_gateway, m_agents);
    auto port = m_proxy->start();
    if (!port) {
        m_proxy.reset();
        Q_EMIT failed(port.error().code, port.error().message);
        return;
    }
    m_proxyPort = port.value();
    if (m_control) {
        m_control->setProxyPort(m_proxyPort);
    }
    if (m_service) {
        m_service->setProxyPort(m_proxyPort);
    }
    Q_EMIT proxyListening(port.value());
}

QString WalletHost::prepareDemo()
{
    m_demo = std::make_unique<DemoWorld>();
    if (!m_demo->start()) {
        Q_EMIT warning(QStringLiteral("The demo paid API could not listen."));
        m_demo.reset();
        return {};
    }
    store::Database& database = m_wallet->database();
    auto secret = store::readSetting(database, QStringLiteral("demo_agent_secret"));
    if (secret && secret->isEmpty()) {
        policy::AgentBook agents(database, SystemClock::instance());
        (void)agents.remove(QLatin1String(kDemoAgent));
        if (auto added = agents.add(QLatin1String(kDemoAgent))) {
            (void)store::writeSetting(database, QStringLiteral("demo_agent_secret"), added->secret);
            secret = added->secret;
        }
        // Demo funds, demo rule: pay up to 5,000 sat a day without asking.
        policy::BudgetBook budgets(database, SystemClock::instance(), QTimeZone::systemTimeZone());
        policy::BudgetRule rule;
        rule.pattern = QStringLiteral("*");
        rule.mode = policy::Mode::Auto;
        rule.dailyMsat = 5'000'000;
        (void)budgets.saveRule(rule);
    }
    return secret ? secret.value() : QString();
}

} // namespace l402::app
