#include "core/store/SecretStore.h"
#include "core/store/WalletStore.h"
#include "tests/support/StoreFixtures.h"

#include <QEventLoop>
#include <QTemporaryDir>
#include <QTest>

using namespace l402;
using namespace l402::store;

namespace {
template <typename T, typename Start> T await(Start start)
{
    std::optional<T> outcome;
    QEventLoop loop;
    start([&](T result) {
        outcome.emplace(std::move(result));
        loop.quit();
    });
    if (!outcome) {
        loop.exec();
    }
    return std::move(*outcome);
}
} // namespace

// QtKeychain against a real Secret Service (gnome-keyring on a private D-Bus session bus,
// started by tests/support/with-secret-service.sh around this test).
class KeychainTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(qEnvironmentVariableIsSet("DBUS_SESSION_BUS_ADDRESS"),
                 "run through tests/support/with-secret-service.sh (or with a dead bus address "
                 "for the no-keychain case)");
    }

    void writeReadRemove()
    {
        KeychainSecretStore keychain(QStringLiteral("l402-wallet-test"));
        const QByteArray secret = QByteArray::fromHex("0001ff00") + QByteArray("binary secret");
        Status written = await<Status>(
            [&](auto done) { keychain.write(QStringLiteral("entry"), secret, done); });
        QVERIFY2(written.ok(), qPrintable(written.ok() ? QString() : written.error().message));
        auto read = await<Result<QByteArray>>(
            [&](auto done) { keychain.read(QStringLiteral("entry"), done); });
        QVERIFY(read.ok());
        QCOMPARE(read.value(), secret);
        QVERIFY(
            await<Status>([&](auto done) { keychain.remove(QStringLiteral("entry"), done); }).ok());
        auto gone = await<Result<QByteArray>>(
            [&](auto done) { keychain.read(QStringLiteral("entry"), done); });
        QVERIFY(!gone.ok());
        QCOMPARE(gone.error().code, QLatin1String(secret_error::kNotFound));
    }

    // A wallet created in keychain mode keeps its data key only in the keychain: wallet.key
    // names the entry, and the wallet reopens with the key the keychain returns.
    void walletInKeychainMode()
    {
        QTemporaryDir dir;
        test::ManualClock clock;
        KeychainSecretStore keychain;
        UnlockRequest request;
        request.dataDir = dir.path();
        {
            auto wallet = test::openWalletAndWait(request, &keychain, clock);
            QVERIFY2(wallet.ok(), qPrintable(wallet.ok() ? QString() : wallet.error().message));
            NewPayment payment;
            payment.origin = QStringLiteral("https://a");
            payment.scheme = QStringLiteral("L402");
            payment.invoice = QStringLiteral("lnbc1");
            payment.paymentHash = QByteArray(32, '\x01');
            payment.amountMsat = 1000;
            QVERIFY((*wallet)->ledger().recordInitiated(payment).ok());
        }
        auto keyFile = KeyFile::load(dir.path());
        QVERIFY(keyFile.ok() && keyFile.value());
        QCOMPARE(keyFile.value()->mode(), KeyFile::Mode::Keychain);
        QFile raw(dir.path() + QStringLiteral("/wallet.key"));
        QVERIFY(raw.open(QIODevice::ReadOnly));
        QVERIFY(!raw.readAll().contains("wrapped_key"));

        auto reopened = test::openWalletAndWait(request, &keychain, clock);
        QVERIFY(reopened.ok());
        QCOMPARE((*reopened)->ledger().count().value(), 1);
        reopened.value().reset();

        // Someone deletes the entry from the keyring: a clear error, files untouched.
        QVERIFY(await<Status>([&](auto done) {
                    keychain.remove(keyFile.value()->keychainEntry(), done);
                }).ok());
        const auto before = test::fileDigests(dir.path());
        auto lost = test::openWalletAndWait(request, &keychain, clock);
        QVERIFY(!lost.ok());
        QCOMPARE(lost.error().code, QLatin1String(secret_error::kNotFound));
        QCOMPARE(test::fileDigests(dir.path()), before);
    }

    // No Secret Service on the bus (as on a headless server): a clear error that names the
    // passphrase alternative, quickly, and no wallet half-created.
    void noSecretServiceMeansPassphraseMode()
    {
        if (!qEnvironmentVariableIsSet("L402_EXPECT_NO_KEYCHAIN")) {
            QSKIP("runs as KeychainAbsentTest, in a process with no session bus");
        }
        QTemporaryDir dir;
        test::ManualClock clock;
        KeychainSecretStore keychain(QStringLiteral("l402-wallet"), 10'000);
        UnlockRequest request;
        request.dataDir = dir.path();
        auto wallet = test::openWalletAndWait(request, &keychain, clock);
        QVERIFY(!wallet.ok());
        QVERIFY2(wallet.error().message.contains(QLatin1String("L402_WALLET_PASSPHRASE")),
                 qPrintable(wallet.error().message));
        QVERIFY(!QFile::exists(DataDirectory::databasePath(dir.path())));
    }
};

QTEST_GUILESS_MAIN(KeychainTest)
#include "KeychainTest.moc"
