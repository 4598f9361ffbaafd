#include "core/crypto/Digest.h"
#include "core/store/WalletStore.h"
#include "tests/support/ProcessRunner.h"
#include "tests/support/StoreFixtures.h"
#include "tests/support/TestSeed.h"

#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace l402;

// The ledger survives SIGKILL at any instant: a child writes rows through the real store
// and is killed at random points, many times. After each kill the database opens, passes
// integrity_check, every row is whole (all columns agree with its index), and every row the
// child reported committed is there, succeeded.
class CrashSafetyTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void sigkillAtRandomPoints()
    {
        QTemporaryDir dir;
        test::ManualClock clock;
        const QByteArray passphrase = "crash-test";
        QVERIFY(
            test::openWalletAndWait(test::passphraseRequest(dir.path(), passphrase), nullptr, clock)
                .ok());
        QRandomGenerator random(test::testSeed("sigkillAtRandomPoints"));
        long long next = 0;
        int totalKills = 0;
        long long totalRows = 0;
        for (int round = 0; round < 30; ++round) {
            QProcess child;
            child.start(QStringLiteral(L402_BINARY_DIR "/tests/support/ledger-writer"),
                        {dir.path(), QString::fromLatin1(passphrase), QString::number(next)});
            QVERIFY(child.waitForStarted());
            const int target = random.bounded(1, 40);
            QList<long long> committed;
            QByteArray buffer;
            QVERIFY(test::pollUntil(
                [&] {
                    child.waitForReadyRead(20);
                    buffer += child.readAllStandardOutput();
                    committed.clear();
                    for (const QByteArray& line : buffer.split('\n')) {
                        if (line.startsWith("committed ")) {
                            committed.append(line.split(' ').at(1).toLongLong());
                        }
                    }
                    return committed.size() >= target || child.state() != QProcess::Running;
                },
                60'000, 1));
            QVERIFY2(child.state() == QProcess::Running, child.readAllStandardError().constData());
            // Kill at a random instant after the target: inside a later transaction or not.
            QThread::usleep(static_cast<unsigned long>(random.bounded(0, 3000)));
            ::kill(static_cast<pid_t>(child.processId()), SIGKILL);
            QVERIFY(child.waitForFinished(10'000));
            buffer += child.readAllStandardOutput();
            ++totalKills;

            auto wallet = test::openWalletAndWait(test::passphraseRequest(dir.path(), passphrase),
                                                  nullptr, clock);
            QVERIFY2(wallet.ok(), qPrintable(wallet.ok() ? QString() : wallet.error().message));
            auto integrity = (*wallet)->database().prepare("PRAGMA integrity_check");
            QVERIFY(integrity->step().value());
            QCOMPARE(integrity->text(0), QStringLiteral("ok"));

            auto rows = (*wallet)->database().prepare(
                "SELECT origin, invoice, payment_hash, amount_msat, fee_limit_msat, status, "
                "preimage, fee_msat FROM payments");
            QHash<long long, QString> statusByIndex;
            for (;;) {
                auto row = rows->step();
                QVERIFY(row.ok());
                if (!row.value()) {
                    break;
                }
                const long long n = rows->integer(3) - 1000;
                const QByteArray index = QByteArray::number(n);
                QCOMPARE(rows->text(0), QStringLiteral("https://site-%1.example").arg(n));
                const QByteArray preimage = crypto::sha256(QByteArray("preimage-") += index);
                QCOMPARE(rows->blob(2), crypto::sha256(preimage));
                QCOMPARE(rows->text(1), QStringLiteral("lnbc-%1-").arg(n) +
                                            QString::fromLatin1(crypto::sha256(preimage).toHex()));
                QCOMPARE(rows->integer(4), 10 + n);
                const QString status = rows->text(5);
                if (status == QLatin1String("succeeded")) {
                    QCOMPARE(rows->blob(6), preimage);
                    QCOMPARE(rows->integer(7), n % 7);
                } else {
                    QVERIFY(status == QLatin1String("initiated") ||
                            status == QLatin1String("in_flight"));
                    QVERIFY(rows->isNull(6));
                }
                statusByIndex.insert(n, status);
            }
            for (const QByteArray& line : buffer.split('\n')) {
                if (line.startsWith("committed ")) {
                    const long long n = line.split(' ').at(1).toLongLong();
                    QVERIFY2(statusByIndex.value(n) == QLatin1String("succeeded"),
                             qPrintable(QStringLiteral("row %1 was reported committed").arg(n)));
                }
            }
            long long maxIndex = next - 1;
            for (auto it = statusByIndex.cbegin(); it != statusByIndex.cend(); ++it) {
                maxIndex = std::max(maxIndex, it.key());
            }
            next = maxIndex + 1;
            totalRows = statusByIndex.size();
        }
        qInfo("%d kills, %lld rows checked", totalKills, totalRows);
        QVERIFY(totalRows >= 30);
    }
};

QTEST_GUILESS_MAIN(CrashSafetyTest)
#include "CrashSafetyTest.moc"
