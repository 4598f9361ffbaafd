#pragma once

#include "core/crypto/Digest.h"
#include "core/demo/PaidApiServer.h"
#include "core/node/LndNode.h"
#include "core/payments/PaidFetcher.h"
#include "core/payments/PaymentEngine.h"
#include "core/policy/ApprovalBroker.h"
#include "core/protocol/Bolt11.h"
#include "core/proxy/ProxyServer.h"
#include "tests/support/FakeLnd.h"
#include "tests/support/StoreFixtures.h"

#include <QNetworkAccessManager>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

namespace l402::test {

// The payee key of the test world's paid APIs (regtest).
inline QByteArray testPayeeKey()
{
    return crypto::sha256("engine test payee");
}

// A regtest invoice signed by the test payee, its preimage registered with the node double so
// the node can "pay" it.
inline Result<demo::IssuedInvoice>
issueTestInvoice(FakeLnd& lnd, int64_t amountMsat, const QString& description,
                 int64_t timestamp = 0, int64_t expirySeconds = 600,
                 protocol::Network network = protocol::Network::Regtest)
{
    const QByteArray preimage = crypto::randomBytes(32);
    protocol::InvoiceDraft draft;
    draft.network = network;
    if (amountMsat > 0) {
        draft.amountMsat = static_cast<uint64_t>(amountMsat);
    }
    draft.timestamp = timestamp ? timestamp : QDateTime::currentSecsSinceEpoch();
    draft.expirySeconds = expirySeconds;
    draft.paymentHash = crypto::sha256(preimage);
    draft.paymentSecret = crypto::randomBytes(32);
    draft.description = description;
    draft.features = {8, 14};
    auto text = protocol::encodeInvoice(draft, testPayeeKey());
    if (!text) {
        return Result<demo::IssuedInvoice>(text.error());
    }
    lnd.registerPreimage(preimage);
    return demo::IssuedInvoice{text.value(), draft.paymentHash};
}

// A whole wallet on loopback: an encrypted store in a temporary folder, LND's double over
// HTTPS, the real LND backend, an approval broker, the engine, an Aperture-like paid API
// whose invoices the double can pay, and a paying HTTP client.
class EngineHarness {
public:
    explicit EngineHarness(const Clock& clock = SystemClock::instance(),
                           QTimeZone zone = QTimeZone::systemTimeZone(),
                           payments::EngineSettings settings = {})
        : m_clock(clock)
        , m_zone(std::move(zone))
        , m_settings(settings)
    {
    }

    // Starts everything; false (with QWARN output) when a part could not start.
    [[nodiscard]] bool start(bool startEngine = true)
    {
        if (!m_dir.isValid() || !m_lnd.start()) {
            return false;
        }
        if (!openStore()) {
            return false;
        }
        m_api = std::make_unique<demo::PaidApiServer>(
            [this](int64_t amountMsat, const QString& description) {
                return issueTestInvoice(m_lnd, amountMsat, description, m_clock.nowSeconds());
            },
            m_clock);
        m_api->addDemoEndpoints();
        if (!m_api->listen()) {
            return false;
        }
        return !startEngine || this->startEngine();
    }

    [[nodiscard]] bool openStore()
    {
        auto opened = openWalletAndWait(
            passphraseRequest(m_dir.path() + QStringLiteral("/wallet"), "pw"), nullptr, m_clock);
        if (!opened) {
            qWarning("%s", qPrintable(opened.error().message));
            return false;
        }
        m_store = std::move(opened.value());
        return true;
    }

    [[nodiscard]] bool startEngine()
    {
        node::LndNode::Config config;
        config.url = m_lnd.url();
        config.macaroon = m_lnd.macaroon();
        config.tlsCertificate = {m_lnd.certificate()};
        config.responseSlack = std::chrono::milliseconds(500);
        m_node = std::make_unique<node::LndNode>(config);
        m_broker = std::make_unique<policy::ApprovalBroker>(m_clock);
        m_engine = std::make_unique<payments::PaymentEngine>(*m_store, *m_node, *m_broker, m_clock,
                                                             m_settings, m_zone);
        m_gateway = std::make_unique<proxy::EngineGateway>(*m_engine);
        m_fetcher = std::make_unique<payments::PaidFetcher>(*m_gateway, m_network);
        m_engine->start();
        return QTest::qWaitFor([this] { return m_engine->isReady(); }, 15'000);
    }

    // Closes the engine and the store (the files stay), as a process exit would.
    void stopWallet()
    {
        m_fetcher.reset();
        m_gateway.reset();
        m_engine.reset();
        m_broker.reset();
        m_node.reset();
        m_store.reset();
    }

    // Fetches and waits for the answer.
    Result<payments::FetchResponse> fetch(const QString& path, const QString& agent = {},
                                          std::function<void(payments::FetchRequest&)> tweak = {})
    {
        payments::FetchRequest request;
        request.url = m_api->url(path);
        request.agent = agent;
        if (tweak) {
            tweak(request);
        }
        return fetch(request);
    }

    Result<payments::FetchResponse> fetch(const payments::FetchRequest& request)
    {
        std::optional<Result<payments::FetchResponse>> outcome;
        m_fetcher->fetch(request, [&outcome](Result<payments::FetchResponse> result) {
            outcome.emplace(std::move(result));
        });
        if (!QTest::qWaitFor([&outcome] { return outcome.has_value(); }, 30'000)) {
            return Result<payments::FetchResponse>::failure(QStringLiteral("test_timeout"),
                                                            QStringLiteral("no answer"));
        }
        return std::move(*outcome);
    }

    // A rule for every site: auto, no limits (tests that are not about budgets).
    void allowEverything()
    {
        policy::BudgetRule rule;
        rule.pattern = QStringLiteral("*");
        rule.mode = policy::Mode::Auto;
        QVERIFY(m_engine->budgets().saveRule(rule).ok());
    }

    int64_t paymentCount(const QString& status = {}) const
    {
        const QByteArray sql = status.isEmpty() ? QByteArray("SELECT count(*) FROM payments")
                                                : "SELECT count(*) FROM payments WHERE status = '" +
                                                      status.toLatin1() + "'";
        auto statement = m_store->database().prepare(sql.constData());
        if (!statement || !statement->step()) {
            return -1;
        }
        return statement->integer(0);
    }

    FakeLnd& lnd() { return m_lnd; }
    demo::PaidApiServer& api() { return *m_api; }
    store::WalletStore& store() { return *m_store; }
    payments::PaymentEngine& engine() { return *m_engine; }
    policy::ApprovalBroker& broker() { return *m_broker; }
    payments::PaidFetcher& fetcher() { return *m_fetcher; }
    QNetworkAccessManager& network() { return m_network; }
    QString dir() const { return m_dir.path(); }

private:
    const Clock& m_clock;
    QTimeZone m_zone;
    payments::EngineSettings m_settings;
    QTemporaryDir m_dir;
    FakeLnd m_lnd;
    std::unique_ptr<store::WalletStore> m_store;
    std::unique_ptr<demo::PaidApiServer> m_api;
    std::unique_ptr<node::LndNode> m_node;
    std::unique_ptr<policy::ApprovalBroker> m_broker;
    std::unique_ptr<payments::PaymentEngine> m_engine;
    std::unique_ptr<proxy::EngineGateway> m_gateway;
    std::unique_ptr<payments::PaidFetcher> m_fetcher;
    QNetworkAccessManager m_network;
};

} // namespace l402::test
