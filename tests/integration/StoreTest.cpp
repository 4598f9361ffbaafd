#include "core/crypto/Digest.h"
#include "core/store/Schema.h"
#include "core/store/WalletStore.h"
#include "tests/support/FakeSecretStore.h"
#include "tests/support/StoreFixtures.h"

#include <QDirIterator>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>
#include <sys/stat.h>

using namespace l402;
using namespace l402::store;
using l402::test::openWalletAndWait;
using l402::test::passphraseRequest;

namespace {

// The preimage of payment(hashByte): the ledger only accepts a success with it.
QByteArray preimageFor(char hashByte)
{
    return QByteArray(32, hashByte);
}

NewPayment payment(char hashByte, int64_t amountMsat = 21'000)
{
    NewPayment p;
    p.origin = QStringLiteral("https://api.example.com");
    p.agent = QStringLiteral("claude");
    p.scheme = QStringLiteral("L402");
    p.invoice = QStringLiteral("lnbc210n1...");
    p.paymentHash = crypto::sha256(preimageFor(hashByte));
    p.amountMsat = amountMsat;
    p.feeLimitMsat = 10'000;
    return p;
}

int fileMode(const QString& path)
{
    struct stat info = {};
    ::stat(QFile::encodeName(path).constData(), &info);
    return static_cast<int>(info.st_mode & 0777);
}

} // namespace

class StoreTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void passphraseWalletPersistsAndReopens()
    {
        QTemporaryDir dir;
        test::ManualClock clock;
        int64_t id = 0;
        {
            auto wallet =
                openWalletAndWait(passphraseRequest(dir.path(), "correct horse"), nullptr, clock);
            QVERIFY2(wallet.ok(), qPrintable(wallet.ok() ? QString() : wallet.error().message));
            auto recorded = (*wallet)->ledger().recordInitiated(payment('\x01'));
            QVERIFY(recorded.ok());
            id = recorded.value();
            QVERIFY((*wallet)->ledger().markInFlight(id).ok());
        }
        auto reopened =
            openWalletAndWait(passphraseRequest(dir.path(), "correct horse"), nullptr, clock);
        QVERIFY(reopened.ok());
        auto record = (*reopened)->ledger().find(id);
        QVERIFY(record.ok() && record.value());
        QCOMPARE(record.value()->status, PaymentStatus::InFlight);
        QCOMPARE(record.value()->payment.paymentHash, crypto::sha256(preimageFor('\x01')));
        QCOMPARE(Schema::currentVersion((*reopened)->database()).value(), Schema::latestVersion());
    }

    void wrongOrMissingPassphraseTouchesNothing()
    {
        QTemporaryDir dir;
        test::ManualClock clock;
        {
            auto wallet = openWalletAndWait(passphraseRequest(dir.path(), "right"), nullptr, clock);
            QVERIFY(wallet.ok());
            QVERIFY((*wallet)->ledger().recordInitiated(payment('\x02')).ok());
        }
        const auto before = test::fileDigests(dir.path());
        auto wrong = openWalletAndWait(passphraseRequest(dir.path(), "wrong"), nullptr, clock);
        QVERIFY(!wrong.ok());
        QCOMPARE(wrong.error().code, QLatin1String(key_error::kWrongPassphrase));
        QCOMPARE(wrong.error().message, QStringLiteral("The passphrase is wrong."));

        UnlockRequest none;
        none.dataDir = dir.path();
        test::FakeSecretStore keychain;
        auto missing = openWalletAndWait(none, &keychain, clock);
        QVERIFY(!missing.ok());
        QCOMPARE(missing.error().code, QLatin1String(key_error::kPassphraseRequired));
        QVERIFY(missing.error().message.contains(QLatin1String("L402_WALLET_PASSPHRASE")));
        QCOMPARE(keychain.calls, 0);
        QCOMPARE(test::fileDigests(dir.path()), before);
    }

    void changePassphraseRewrapsWithoutReencrypting()
    {
        QTemporaryDir dir;
        test::ManualClock clock;
        {
            auto wallet = openWalletAndWait(passphraseRequest(dir.path(), "old"), nullptr, clock);
            QVERIFY(wallet.ok());
            QVERIFY((*wallet)->ledger().recordInitiated(payment('\x03')).ok());
            QVERIFY((*wallet)->changePassphrase("new", test::fastKdf()).ok());
            QVERIFY(!(*wallet)->changePassphrase("", test::fastKdf()).ok());
        }
        QVERIFY(!openWalletAndWait(passphraseRequest(dir.path(), "old"), nullptr, clock).ok());
        auto reopened = openWalletAndWait(passphraseRequest(dir.path(), "new"), nullptr, clock);
        QVERIFY(reopened.ok());
        QCOMPARE((*reopened)->ledger().count().value(), 1);
    }

    void missingKeyFileNeverReplacesTheKey()
    {
        QTemporaryDir dir;
        test::ManualClock clock;
        QVERIFY(openWalletAndWait(passphraseRequest(dir.path(), "pw"), nullptr, clock).ok());
        QVERIFY(QFile::remove(dir.path() + QStringLiteral("/wallet.key")));
        const auto before = test::fileDigests(dir.path());
        auto reopened = openWalletAndWait(passphraseRequest(dir.path(), "pw"), nullptr, clock);
        QVERIFY(!reopened.ok());
        QCOMPARE(reopened.error().code, QLatin1String(key_error::kKeyFileMissing));
        QCOMPARE(test::fileDigests(dir.path()), before);
    }

    void damagedDatabaseIsReportedAndLeftAsItWas_data()
    {
        QTest::addColumn<QString>("damage");
        QTest::newRow("truncated") << QStringLiteral("truncate");
        QTest::newRow("bytes overwritten") << QStringLiteral("overwrite");
        QTest::newRow("first page overwritten") << QStringLiteral("header");
        QTest::newRow("empty file") << QStringLiteral("empty");
    }
    void damagedDatabaseIsReportedAndLeftAsItWas()
    {
        QFETCH(QString, damage);
        QTemporaryDir dir;
        test::ManualClock clock;
        {
            auto wallet = openWalletAndWait(passphraseRequest(dir.path(), "pw"), nullptr, clock);
            QVERIFY(wallet.ok());
            for (int i = 0; i < 300; ++i) {
                QVERIFY((*wallet)
                            ->ledger()
                            .recordInitiated(payment(char(i % 250 + 1), 1000 + i))
                            .ok() ||
                        i >= 250);
            }
            QVERIFY((*wallet)->database().exec("PRAGMA wal_checkpoint(TRUNCATE)").ok());
        }
        const QString path = DataDirectory::databasePath(dir.path());
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadWrite));
        const qint64 size = file.size();
        QVERIFY(size > 8192);
        if (damage == QLatin1String("truncate")) {
            QVERIFY(file.resize(size / 2 + 100));
        } else if (damage == QLatin1String("overwrite")) {
            file.seek(size / 2);
            file.write(QByteArray(4096, '\x5a'));
        } else if (damage == QLatin1String("header")) {
            file.seek(0);
            file.write(QByteArray(100, '\x00'));
        } else {
            QVERIFY(file.resize(0));
        }
        file.close();
        QFile::remove(path + QStringLiteral("-wal"));
        QFile::remove(path + QStringLiteral("-shm"));
        const auto before = test::fileDigests(dir.path());
        auto reopened = openWalletAndWait(passphraseRequest(dir.path(), "pw"), nullptr, clock);
        // An empty file would be a valid empty database to SQLite: refused as well, so a lost
        // ledger never silently restarts empty.
        QVERIFY(!reopened.ok());
        QVERIFY2(reopened.error().code == QLatin1String(store_error::kCorrupt) ||
                     reopened.error().code == QLatin1String(store_error::kWrongKey),
                 qPrintable(reopened.error().code));
        QVERIFY(!reopened.error().message.isEmpty());
        QCOMPARE(test::fileDigests(dir.path()), before);
    }

    void plaintextDatabaseRefused()
    {
        QTemporaryDir dir;
        QVERIFY(DataDirectory::prepare(dir.path()).ok());
        sqlite3* plain = nullptr;
        QVERIFY(sqlite3_open(QFile::encodeName(DataDirectory::databasePath(dir.path())).constData(),
                             &plain) == SQLITE_OK);
        sqlite3_exec(plain, "CREATE TABLE t(x)", nullptr, nullptr, nullptr);
        sqlite3_close(plain);
        auto opened =
            Database::open(DataDirectory::databasePath(dir.path()), QByteArray(32, '\x01'));
        QVERIFY(!opened.ok());
        QCOMPARE(opened.error().code, QLatin1String(store_error::kNotEncrypted));
    }

    void oneProcessAtATime()
    {
        QTemporaryDir dir;
        auto first = DataDirectory::acquire(dir.path());
        QVERIFY(first.ok());
        auto second = DataDirectory::acquire(dir.path());
        QVERIFY(!second.ok());
        QCOMPARE(second.error().code, QLatin1String(directory_error::kInUse));
        QVERIFY(
            second.error().message.contains(QString::number(QCoreApplication::applicationPid())));
        first.value().reset();
        QVERIFY(DataDirectory::acquire(dir.path()).ok());
    }

    // Data at rest: the folder is 0700, every file 0600, no file is a plaintext SQLite file,
    // and no secret written through the store appears in any file's bytes, WAL included.
    void nothingReadableAtRest()
    {
        QTemporaryDir dir;
        test::ManualClock clock;
        const QByteArray preimage = QByteArray("PREIMAGE-MARKER-").leftJustified(32, '#');
        const QByteArray macaroon = "MACAROON-MARKER-0123456789abcdef";
        const QString invoice = QStringLiteral("lnbc1invoicemarker7q8w9e");
        auto check = [&](const char* when) {
            QCOMPARE(fileMode(dir.path()), 0700);
            QDirIterator it(dir.path(), QDir::Files | QDir::Hidden);
            int files = 0;
            while (it.hasNext()) {
                const QString path = it.next();
                ++files;
                QVERIFY2(fileMode(path) == 0600,
                         qPrintable(path + QLatin1Char(' ') + QLatin1String(when)));
                QFile file(path);
                QVERIFY(file.open(QIODevice::ReadOnly));
                const QByteArray bytes = file.readAll();
                QVERIFY2(!bytes.startsWith("SQLite format 3"), qPrintable(path));
                for (const QByteArray& secret :
                     {preimage, macaroon, invoice.toUtf8(), QByteArray("correct horse battery"),
                      QByteArray("api.example.com")}) {
                    QVERIFY2(!bytes.contains(secret),
                             qPrintable(path + QStringLiteral(" holds ") +
                                        QString::fromLatin1(secret) + QLatin1Char(' ') +
                                        QLatin1String(when)));
                }
            }
            QVERIFY(files >= 3);
        };
        {
            auto wallet = openWalletAndWait(passphraseRequest(dir.path(), "correct horse battery"),
                                            nullptr, clock);
            QVERIFY(wallet.ok());
            NewPayment p = payment('\x09');
            p.paymentHash = crypto::sha256(preimage);
            p.invoice = invoice;
            auto id = (*wallet)->ledger().recordInitiated(p);
            QVERIFY(id.ok());
            QVERIFY((*wallet)->ledger().markSucceeded(id.value(), preimage, 3).ok());
            auto statement = (*wallet)->database().prepare(
                "INSERT INTO tokens (origin, scheme, payment_hash, macaroon, preimage, "
                "amount_msat, "
                "created_at, status) VALUES ('https://api.example.com', 'L402', ?1, ?2, ?3, 1, 1, "
                "'active')");
            QVERIFY(statement.ok());
            QVERIFY(statement->bind(1, QByteArrayView(p.paymentHash))
                        .bind(2, QByteArrayView(macaroon))
                        .bind(3, QByteArrayView(preimage))
                        .run()
                        .ok());
            check("while open (WAL)");
        }
        check("after close");
    }

    void ledgerTransitionsAndSingleLiveAttempt()
    {
        QTemporaryDir dir;
        test::ManualClock clock;
        auto wallet = openWalletAndWait(passphraseRequest(dir.path(), "pw"), nullptr, clock);
        QVERIFY(wallet.ok());
        PaymentLedger& ledger = (*wallet)->ledger();
        const int64_t first = ledger.recordInitiated(payment('\x0a')).value();
        // A second live attempt for the same hash is refused by the database itself.
        auto duplicate = ledger.recordInitiated(payment('\x0a'));
        QVERIFY(!duplicate.ok());
        QCOMPARE(duplicate.error().code, QLatin1String(ledger_error::kDuplicate));
        QVERIFY(
            !ledger.markSucceeded(first, QByteArray(31, 'x'), 1).ok()); // preimage must be 32 bytes
        QVERIFY(ledger.markInFlight(first).ok());
        QVERIFY(!ledger.markInFlight(first).ok()); // only from initiated
        QCOMPARE(ledger.unresolved().value().size(), 1);
        QVERIFY(
            ledger.markFailed(first, QStringLiteral("payment_failed"), QStringLiteral("no route"))
                .ok());
        QVERIFY(!ledger.markSucceeded(first, preimageFor('\x0a'), 1).ok()); // failed is final
        // After a failure a new attempt is allowed; after a success it is not.
        const int64_t second = ledger.recordInitiated(payment('\x0a')).value();
        // A "success" whose preimage is not the hash's is refused and changes nothing.
        auto forged = ledger.markSucceeded(second, QByteArray(32, 'p'), 7);
        QVERIFY(!forged.ok());
        QCOMPARE(forged.error().code, QLatin1String(ledger_error::kPreimageMismatch));
        QCOMPARE(ledger.find(second).value()->status, PaymentStatus::Initiated);
        QVERIFY(ledger.markSucceeded(second, preimageFor('\x0a'), 7).ok());
        QCOMPARE(ledger.preimage(second).value(), preimageFor('\x0a'));
        QVERIFY(!ledger.recordInitiated(payment('\x0a')).ok());
        QCOMPARE(ledger.unresolved().value().size(), 0);
        QCOMPARE(ledger.find(second).value()->feeMsat, std::optional<int64_t>(7));
    }

    void historyPagesNewestFirst()
    {
        QTemporaryDir dir;
        test::ManualClock clock;
        auto wallet = openWalletAndWait(passphraseRequest(dir.path(), "pw"), nullptr, clock);
        QVERIFY(wallet.ok());
        PaymentLedger& ledger = (*wallet)->ledger();
        for (int i = 1; i <= 120; ++i) {
            QVERIFY(ledger.recordInitiated(payment(char(i), i * 1000)).ok());
        }
        auto first = ledger.page(std::nullopt, 50).value();
        QCOMPARE(first.size(), 50);
        QCOMPARE(first.first().payment.amountMsat, 120'000);
        auto second = ledger.page(first.last().id, 50).value();
        QCOMPARE(second.first().payment.amountMsat, 70'000);
        auto last = ledger.page(second.last().id, 50).value();
        QCOMPARE(last.size(), 20);
        QCOMPARE(last.last().payment.amountMsat, 1000);
    }

    // Every migration from every earlier version: data written at version v survives the
    // upgrade to the latest.
    void migrationsFromEveryVersion()
    {
        for (int from = 0; from < Schema::latestVersion(); ++from) {
            QTemporaryDir dir;
            auto database =
                Database::open(dir.path() + QStringLiteral("/db"), QByteArray(32, '\x05'));
            QVERIFY(database.ok());
            QVERIFY(Schema::migrate(*database.value(), from).ok());
            QCOMPARE(Schema::currentVersion(*database.value()).value(), from);
            if (from >= 1) {
                QVERIFY((*database)
                            ->exec("INSERT INTO settings (key, value) VALUES ('probe', 'v')")
                            .ok());
            }
            QVERIFY(Schema::migrate(*database.value()).ok());
            QCOMPARE(Schema::currentVersion(*database.value()).value(), Schema::latestVersion());
            if (from >= 1) {
                auto statement =
                    (*database)->prepare("SELECT value FROM settings WHERE key = 'probe'");
                QVERIFY(statement->step().value());
                QCOMPARE(statement->text(0), QStringLiteral("v"));
            }
            // Migrating again is a no-op.
            QVERIFY(Schema::migrate(*database.value()).ok());
        }
    }

    void newerSchemaRefused()
    {
        QTemporaryDir dir;
        auto database = Database::open(dir.path() + QStringLiteral("/db"), QByteArray(32, '\x05'));
        QVERIFY(database.ok());
        QVERIFY((*database)->exec("PRAGMA user_version = 999").ok());
        auto migrated = Schema::migrate(*database.value());
        QVERIFY(!migrated.ok());
        QCOMPARE(migrated.error().code, QStringLiteral("schema_too_new"));
    }

    void keychainModeWithFakeKeychain()
    {
        QTemporaryDir dir;
        test::ManualClock clock;
        test::FakeSecretStore keychain;
        UnlockRequest request;
        request.dataDir = dir.path();
        {
            auto wallet = openWalletAndWait(request, &keychain, clock);
            QVERIFY(wallet.ok());
            QVERIFY((*wallet)->ledger().recordInitiated(payment('\x0b')).ok());
        }
        QCOMPARE(keychain.entries.size(), 1);
        QCOMPARE(keychain.entries.begin().value().size(), 32);
        auto reopened = openWalletAndWait(request, &keychain, clock);
        QVERIFY(reopened.ok());
        QCOMPARE((*reopened)->ledger().count().value(), 1);
        reopened.value().reset();
        // The keychain lost the entry: a clear error, and nothing is replaced.
        keychain.entries.clear();
        const auto before = test::fileDigests(dir.path());
        auto lost = openWalletAndWait(request, &keychain, clock);
        QVERIFY(!lost.ok());
        QCOMPARE(lost.error().code, QLatin1String(secret_error::kNotFound));
        QCOMPARE(test::fileDigests(dir.path()), before);
    }

    void noKeychainAndNoPassphrase_data()
    {
        QTest::addColumn<int>("behaviour");
        QTest::newRow("no backend") << int(test::FakeSecretStore::Behaviour::NoBackend);
        QTest::newRow("denied") << int(test::FakeSecretStore::Behaviour::Denies);
    }
    void noKeychainAndNoPassphrase()
    {
        QFETCH(int, behaviour);
        QTemporaryDir dir;
        test::ManualClock clock;
        test::FakeSecretStore keychain;
        keychain.behaviour = static_cast<test::FakeSecretStore::Behaviour>(behaviour);
        UnlockRequest request;
        request.dataDir = dir.path();
        auto wallet = openWalletAndWait(request, &keychain, clock);
        QVERIFY(!wallet.ok());
        QVERIFY(wallet.error().message.contains(QLatin1String("--passphrase-file")));
        QVERIFY(!QFile::exists(dir.path() + QStringLiteral("/wallet.key")));
        QVERIFY(!QFile::exists(DataDirectory::databasePath(dir.path())));
    }

    // Each wallet gets its own random keychain entry: a new wallet in a folder where another
    // once lived (renamed, copied) never overwrites that wallet's key.
    void keychainEntriesNeverCollide()
    {
        QTemporaryDir root;
        test::ManualClock clock;
        test::FakeSecretStore keychain;
        UnlockRequest request;
        request.dataDir = root.path() + QStringLiteral("/wallet");
        QVERIFY(openWalletAndWait(request, &keychain, clock).ok());
        QCOMPARE(keychain.entries.size(), 1);
        const QString firstEntry = keychain.entries.begin().key();
        const QByteArray firstKey = keychain.entries.begin().value();
        QVERIFY(QDir(root.path()).rename(QStringLiteral("wallet"), QStringLiteral("wallet.bak")));
        QVERIFY(openWalletAndWait(request, &keychain, clock).ok()); // a new wallet, same path
        QCOMPARE(keychain.entries.size(), 2);
        QCOMPARE(keychain.entries.value(firstEntry), firstKey);
        // The renamed wallet still opens with its own key.
        request.dataDir = root.path() + QStringLiteral("/wallet.bak");
        QVERIFY(openWalletAndWait(request, &keychain, clock).ok());
    }

    void missingDatabaseIsNotRecreated()
    {
        QTemporaryDir dir;
        test::ManualClock clock;
        QVERIFY(openWalletAndWait(passphraseRequest(dir.path(), "pw"), nullptr, clock).ok());
        QVERIFY(QFile::remove(DataDirectory::databasePath(dir.path())));
        const auto before = test::fileDigests(dir.path());
        auto reopened = openWalletAndWait(passphraseRequest(dir.path(), "pw"), nullptr, clock);
        QVERIFY(!reopened.ok());
        QVERIFY(reopened.error().message.contains(QLatin1String("wallet.db is missing")));
        QVERIFY(!QFile::exists(DataDirectory::databasePath(dir.path())));
        QCOMPARE(test::fileDigests(dir.path()), before);
    }

    // The AES-GCM tag covers the KDF parameters: an edited wallet.key is detected, and
    // absurd parameters are refused before Argon2 runs.
    void tamperedKeyFileDetected()
    {
        QTemporaryDir dir;
        test::ManualClock clock;
        QVERIFY(openWalletAndWait(passphraseRequest(dir.path(), "pw"), nullptr, clock).ok());
        const QString keyPath = dir.path() + QStringLiteral("/wallet.key");
        QFile file(keyPath);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray original = file.readAll();
        file.close();
        auto rewrite = [&](const std::function<void(QJsonObject&)>& change) {
            QJsonObject json = QJsonDocument::fromJson(original).object();
            change(json);
            QVERIFY(DataDirectory::writeFileAtomically(keyPath, QJsonDocument(json).toJson()).ok());
        };
        rewrite([](QJsonObject& json) {
            QJsonObject kdf = json.value(QStringLiteral("kdf")).toObject();
            kdf.insert(QStringLiteral("iterations"),
                       kdf.value(QStringLiteral("iterations")).toInt() + 1);
            json.insert(QStringLiteral("kdf"), kdf);
        });
        auto edited = openWalletAndWait(passphraseRequest(dir.path(), "pw"), nullptr, clock);
        QVERIFY(!edited.ok());
        QCOMPARE(edited.error().code, QLatin1String(key_error::kWrongPassphrase));
        rewrite([](QJsonObject& json) {
            QJsonObject kdf = json.value(QStringLiteral("kdf")).toObject();
            kdf.insert(QStringLiteral("memory_kib"), qint64(64) * 1024 * 1024);
            json.insert(QStringLiteral("kdf"), kdf);
        });
        auto absurd = openWalletAndWait(passphraseRequest(dir.path(), "pw"), nullptr, clock);
        QVERIFY(!absurd.ok());
        QCOMPARE(absurd.error().code, QLatin1String(key_error::kKeyFileInvalid));
        QVERIFY(DataDirectory::writeFileAtomically(keyPath, original).ok());
        QVERIFY(openWalletAndWait(passphraseRequest(dir.path(), "pw"), nullptr, clock).ok());
    }

    void openFoldersAreRefusedNotChmodded()
    {
        QTemporaryDir dir;
        QVERIFY(QFile::setPermissions(
            dir.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner |
                            QFileDevice::ReadOther | QFileDevice::ExeOther));
        auto acquired = DataDirectory::acquire(dir.path());
        QVERIFY(!acquired.ok());
        QVERIFY(acquired.error().message.contains(QLatin1String("chmod 700")));
        QCOMPARE(fileMode(dir.path()), 0705);
    }

    void passphraseSources()
    {
        QTemporaryDir dir;
        QFile file(dir.path() + QStringLiteral("/pass"));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("from file\r\nsecond line\n");
        file.close();
        auto fromFile = passphraseFromEnvironment(file.fileName());
        QVERIFY(fromFile.ok() && fromFile.value());
        QCOMPARE(fromFile.value()->view(), QByteArrayView("from file"));
        qputenv("L402_WALLET_PASSPHRASE", "from env");
        auto fromEnvironment = passphraseFromEnvironment(QString());
        QCOMPARE(fromEnvironment.value()->view(), QByteArrayView("from env"));
        qunsetenv("L402_WALLET_PASSPHRASE");
        QVERIFY(!passphraseFromEnvironment(QString()).value());
        QVERIFY(!passphraseFromEnvironment(dir.path() + QStringLiteral("/absent")).ok());
    }
};

QTEST_GUILESS_MAIN(StoreTest)
#include "StoreTest.moc"
