// The payment engine's own cost: a first payment from the 402 challenge to the credential
// (challenge parse, invoice check with signature recovery, budget evaluation, the atomic
// reservation, the durable initiated/in-flight/succeeded writes with the token, history),
// with a node that answers at once (the demo node: one event-loop turn), so what is measured
// is the wallet, not the network. And the cached-token lookup every later request makes.
// Also: the wallet with 100,000 payments already in the ledger (budget windows read it).

#include "core/crypto/Digest.h"
#include "core/demo/PaidApiServer.h"
#include "core/node/DemoNode.h"
#include "core/payments/PaymentEngine.h"
#include "core/protocol/Macaroon.h"
#include "tests/bench/BenchUtil.h"
#include "tests/support/StoreFixtures.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace l402;

namespace {

QByteArray challengeFor(node::DemoLedger& ledger, const QString& service)
{
    const auto issued = ledger.issueInvoice(21'000, QStringLiteral("bench"));
    protocol::L402Identifier identifier;
    identifier.paymentHash = issued.paymentHash;
    identifier.tokenId = crypto::randomBytes(32);
    const auto macaroon =
        protocol::Macaroon::mint(crypto::randomBytes(32), identifier.encode(),
                                 QStringLiteral("lsat"))
            .withFirstPartyCaveat(QStringLiteral("services=%1:0").arg(service).toUtf8());
    return QByteArray("L402 macaroon=\"") + macaroon.toBase64() + "\", invoice=\"" +
           issued.invoice.toLatin1() + "\"";
}

double percentile(std::vector<double> values, double p)
{
    std::sort(values.begin(), values.end());
    return values[static_cast<size_t>(p * static_cast<double>(values.size() - 1))];
}

void seedLedger(store::WalletStore& wallet, int count)
{
    auto transaction = store::Transaction::begin(wallet.database());
    for (int i = 0; i < count; ++i) {
        const QByteArray preimage = crypto::sha256(QByteArray(QByteArray::number(i) + "seed"));
        store::NewPayment payment;
        payment.origin = QStringLiteral("https://api%1.example.com").arg(i % 50);
        payment.scheme = QStringLiteral("L402");
        payment.invoice = QStringLiteral("lnbcrt210n1seed");
        payment.paymentHash = crypto::sha256(preimage);
        payment.amountMsat = 21'000;
        payment.feeLimitMsat = 10'000;
        auto id = wallet.ledger().recordInitiated(payment);
        if (id) {
            (void)wallet.ledger().markSucceeded(id.value(), preimage, 100);
        }
    }
    (void)(*transaction)->commit();
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication application(argc, argv);
    QTemporaryDir dir;
    auto opened =
        test::openWalletAndWait(test::passphraseRequest(dir.path() + QStringLiteral("/w"), "bench"),
                                nullptr, SystemClock::instance());
    if (!opened) {
        std::fprintf(stderr, "cannot open wallet: %s\n", qPrintable(opened.error().message));
        return 1;
    }
    auto wallet = std::move(opened.value());
    const int seeded = argc > 1 ? std::atoi(argv[1]) : 100'000;
    seedLedger(*wallet, seeded);

    auto ledger = std::make_shared<node::DemoLedger>(1'000'000'000'000);
    node::DemoNode node(ledger);
    policy::ApprovalBroker broker(SystemClock::instance());
    payments::PaymentEngine engine(*wallet, node, broker, SystemClock::instance());
    policy::BudgetRule rule;
    rule.pattern = QStringLiteral("*");
    rule.mode = policy::Mode::Auto;
    rule.dailyMsat = 1'000'000'000'000;
    (void)engine.budgets().saveRule(rule);
    engine.start();

    // First payments: each to a new origin, so none can reuse a token.
    constexpr int kPayments = 300;
    std::vector<double> total;
    std::vector<double> node_;
    for (int i = 0; i < kPayments; ++i) {
        payments::RequestContext context;
        context.origin =
            policy::Origin::parse(QStringLiteral("https://site%1.example").arg(i)).value();
        context.path = QStringLiteral("/v1/x");
        const QList<QByteArray> challenge{challengeFor(*ledger, QStringLiteral("s"))};
        bool done = false;
        QElapsedTimer timer;
        timer.start();
        engine.handlePaymentRequired(context, challenge, [&](Result<payments::Credential> r) {
            if (!r) {
                std::fprintf(stderr, "payment refused: %s\n", qPrintable(r.error().message));
                std::exit(1);
            }
            done = true;
        });
        while (!done) {
            QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
        }
        total.push_back(static_cast<double>(timer.nsecsElapsed()) / 1e6);
    }
    // The demo node's own share: one event-loop turn, measured alone.
    for (int i = 0; i < kPayments; ++i) {
        const auto issued = ledger->issueInvoice(21'000, QStringLiteral("n"));
        node::PayRequest request;
        request.invoice = issued.invoice;
        request.paymentHash = issued.paymentHash;
        request.amountMsat = 21'000;
        bool done = false;
        QElapsedTimer timer;
        timer.start();
        node.pay(request, [&](node::PaymentResult) { done = true; });
        while (!done) {
            QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
        }
        node_.push_back(static_cast<double>(timer.nsecsElapsed()) / 1e6);
    }
    const double nodeMedian = percentile(node_, 0.5);
    std::printf("ledger already holding %d payments\n", seeded);
    std::printf("%-40s median %.3f ms, p90 %.3f ms, p99 %.3f ms (of %d)\n",
                "first payment, wallet + instant node", percentile(total, 0.5),
                percentile(total, 0.9), percentile(total, 0.99), kPayments);
    std::printf("%-40s median %.3f ms\n", "  of which the demo node's pay call", nodeMedian);
    std::printf("%-40s median %.3f ms\n", "first payment, wallet overhead",
                percentile(total, 0.5) - nodeMedian);

    const auto origin = policy::Origin::parse(QStringLiteral("https://site7.example")).value();
    bench::reportRate("cached-token lookup (per request)", 200'000, [&](int) {
        auto credential = engine.cachedCredential(origin, QStringLiteral("/v1/x"));
        if (!credential) {
            std::abort();
        }
    });
    return 0;
}
