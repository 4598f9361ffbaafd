// The encrypted store: durable ledger commits per second (synchronous=FULL, each commit on
// disk), and reading one page of history out of 1,000,000 payments, plus the cost of
// unlocking (Argon2id) and opening a large wallet.
#include "core/crypto/Digest.h"
#include "core/store/Schema.h"
#include "core/store/WalletStore.h"
#include "tests/bench/BenchUtil.h"
#include "tests/support/StoreFixtures.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTemporaryDir>

#include <cstdio>
#include <cstdlib>

using namespace l402;

namespace {
store::NewPayment payment(int64_t n)
{
    store::NewPayment p;
    p.origin = QStringLiteral("https://api%1.example.com").arg(n % 50);
    p.agent = QStringLiteral("agent-%1").arg(n % 5);
    p.scheme = QStringLiteral("L402");
    p.paymentHash = crypto::sha256(crypto::sha256(QByteArray::number(n)));
    p.invoice = QStringLiteral("lnbc210n1p") + QString::fromLatin1(p.paymentHash.toHex()) +
                QString(200, QLatin1Char('q'));
    p.amountMsat = 21'000 + n % 1000;
    p.feeLimitMsat = 10'000;
    return p;
}

double milliseconds(const QElapsedTimer& timer)
{
    return timer.nsecsElapsed() / 1e6;
}
} // namespace

int main(int argc, char** argv)
{
    QCoreApplication application(argc, argv);
    QTemporaryDir dir(QDir::currentPath() + QStringLiteral("/store-bench-XXXXXX"));
    test::ManualClock clock;
    int failures = 0;
    {
        QElapsedTimer unlock;
        unlock.start();
        store::UnlockRequest request = test::passphraseRequest(dir.path(), "bench");
        request.newWalletKdf = store::KdfParameters{}; // production Argon2id parameters
        auto wallet = test::openWalletAndWait(request, nullptr, clock);
        if (!wallet) {
            std::fprintf(stderr, "%s\n", qPrintable(wallet.error().message));
            return EXIT_FAILURE;
        }
        std::printf("%-40s %12.1f ms\n", "create wallet (Argon2id 64 MiB, t=3)",
                    milliseconds(unlock));
        store::PaymentLedger& ledger = (*wallet)->ledger();
        int64_t n = 0;
        bench::reportRate(
            "durable commit: record initiated", 300,
            [&](int) { failures += ledger.recordInitiated(payment(n++)).ok() ? 0 : 1; }, 3);
        bench::reportRate(
            "durable payment: initiated+in_flight+ok", 200,
            [&](int) {
                auto id = ledger.recordInitiated(payment(n++));
                failures += id && ledger.markInFlight(id.value()) &&
                                    ledger.markSucceeded(
                                        id.value(), crypto::sha256(QByteArray::number(n - 1)), 1)
                                ? 0
                                : 1;
            },
            3);

        // Fill to 1,000,000 payments in large transactions (bulk, not the durable path).
        QElapsedTimer fill;
        fill.start();
        auto statement = (*wallet)->database().prepare(
            "INSERT INTO payments (created_at, updated_at, origin, agent, scheme, invoice, "
            "payment_hash, amount_msat, fee_limit_msat, fee_msat, status, preimage) "
            "VALUES (?1, ?1, ?2, ?3, 'L402', ?4, ?5, ?6, 10000, 3, 'succeeded', ?7)");
        const QByteArray preimage(32, 'p');
        while (n < 1'000'000) {
            auto transaction = store::Transaction::begin((*wallet)->database());
            for (int i = 0; i < 50'000 && n < 1'000'000; ++i, ++n) {
                const store::NewPayment p = payment(n);
                statement->bind(1, int64_t(1'700'000'000) + n)
                    .bind(2, p.origin)
                    .bind(3, p.agent)
                    .bind(4, p.invoice)
                    .bind(5, QByteArrayView(p.paymentHash))
                    .bind(6, p.amountMsat)
                    .bind(7, QByteArrayView(preimage));
                failures += statement->run().ok() ? 0 : 1;
                statement->reset();
            }
            failures += (*transaction)->commit().ok() ? 0 : 1;
        }
        std::printf("%-40s %12.1f s\n", "bulk fill to 1,000,000 payments",
                    milliseconds(fill) / 1000);
        failures += (*wallet)->database().exec("PRAGMA wal_checkpoint(TRUNCATE)").ok() ? 0 : 1;
    }
    QFileInfo database(store::DataDirectory::databasePath(dir.path()));
    std::printf("%-40s %12.1f MB\n", "database size", database.size() / 1e6);

    QElapsedTimer open;
    open.start();
    auto wallet =
        test::openWalletAndWait(test::passphraseRequest(dir.path(), "bench"), nullptr, clock);
    if (!wallet) {
        std::fprintf(stderr, "%s\n", qPrintable(wallet.error().message));
        return EXIT_FAILURE;
    }
    std::printf("%-40s %12.1f ms\n", "unlock + open 1M-payment wallet", milliseconds(open));
    store::PaymentLedger& ledger = (*wallet)->ledger();
    std::vector<int64_t> anchors;
    for (int64_t id = 1'000'000; id > 0; id -= 9'973) {
        anchors.push_back(id);
    }
    bench::reportRate(
        "history page (50 rows, newest)", 2000,
        [&](int) { failures += ledger.page(std::nullopt, 50).value().size() == 50 ? 0 : 1; }, 5);
    bench::reportRate(
        "history page (50 rows, anywhere, keyset)", 2000,
        [&](int i) {
            failures += ledger.page(anchors[size_t(i) % anchors.size()], 50).ok() ? 0 : 1;
        },
        5);
    if (failures) {
        std::fprintf(stderr, "%d operations failed\n", failures);
        return EXIT_FAILURE;
    }
    return EXIT_SUCCESS;
}
