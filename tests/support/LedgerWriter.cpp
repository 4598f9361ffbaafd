// A child process for crash-safety tests: writes payment rows through the real store as fast
// as it can, printing "committed <n> <id>" after each row's final commit, until it is killed.
// Usage: ledger-writer DATA_DIR PASSPHRASE FIRST_INDEX
#include "core/crypto/Digest.h"
#include "core/store/WalletStore.h"
#include "tests/support/StoreFixtures.h"

#include <QCoreApplication>

#include <cstdio>

using namespace l402;

int main(int argc, char** argv)
{
    QCoreApplication application(argc, argv);
    if (argc != 4) {
        std::fprintf(stderr, "usage: ledger-writer DATA_DIR PASSPHRASE FIRST_INDEX\n");
        return 2;
    }
    test::ManualClock clock;
    auto wallet = test::openWalletAndWait(
        test::passphraseRequest(QString::fromLocal8Bit(argv[1]), QByteArray(argv[2])), nullptr,
        clock);
    if (!wallet) {
        std::fprintf(stderr, "ledger-writer: %s\n", qPrintable(wallet.error().message));
        return 1;
    }
    store::PaymentLedger& ledger = (*wallet)->ledger();
    for (long long n = std::atoll(argv[3]);; ++n) {
        const QByteArray index = QByteArray::number(n);
        store::NewPayment payment;
        payment.origin = QStringLiteral("https://site-%1.example").arg(n);
        payment.agent = QStringLiteral("agent");
        payment.scheme = QStringLiteral("L402");
        const QByteArray preimage = crypto::sha256(QByteArray("preimage-") += index);
        payment.paymentHash = crypto::sha256(preimage);
        payment.invoice =
            QStringLiteral("lnbc-%1-").arg(n) + QString::fromLatin1(payment.paymentHash.toHex());
        payment.amountMsat = 1000 + n;
        payment.feeLimitMsat = 10 + n;
        auto id = ledger.recordInitiated(payment);
        if (!id || !ledger.markInFlight(id.value()) ||
            !ledger.markSucceeded(id.value(), preimage, n % 7)) {
            std::fprintf(stderr, "ledger-writer: write failed at %lld\n", n);
            return 1;
        }
        std::printf("committed %lld %lld\n", n, static_cast<long long>(id.value()));
        std::fflush(stdout);
    }
}
