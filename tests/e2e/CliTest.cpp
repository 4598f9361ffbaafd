#include "core/protocol/Bolt11.h"
#include "core/protocol/Macaroon.h"
#include "tests/support/FakeCln.h"
#include "tests/support/FakeLnd.h"
#include "tests/support/ProcessRunner.h"
#include "tests/support/TestData.h"

#include <QDirIterator>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QSslCertificate>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using l402::test::runWallet;

namespace {
QString specInvoice(const char* name)
{
    for (const QJsonValue value : l402::test::loadJsonArray(QStringLiteral("bolt11/valid.json"))) {
        if (value.toObject()
                .value(QStringLiteral("name"))
                .toString()
                .startsWith(QLatin1String(name))) {
            return value.toObject().value(QStringLiteral("invoice")).toString();
        }
    }
    return {};
}
} // namespace

// The CLI contract of DESIGN §4 for the commands that exist: exit codes, one-line errors on
// stderr, and the --json shapes on stdout.
class CliTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void version()
    {
        const auto result = runWallet({QStringLiteral("--version")});
        QCOMPARE(result.exitCode, 0);
        QCOMPARE(result.out.trimmed(), QByteArray("l402-wallet " L402_VERSION));
    }

    void help()
    {
        const auto result = runWallet({QStringLiteral("--help")});
        QCOMPARE(result.exitCode, 0);
        QVERIFY(result.out.contains("decode [--json] INPUT"));
        QVERIFY(result.out.contains("serve"));
    }

    void unknownCommand()
    {
        const auto result = runWallet({QStringLiteral("frobnicate"), QStringLiteral("--json")});
        QCOMPARE(result.exitCode, 64);
        QCOMPARE(result.err.count('\n'), 1);
        QVERIFY(result.err.contains("Unknown command 'frobnicate'"));
        const QJsonObject error =
            QJsonDocument::fromJson(result.out).object().value(QStringLiteral("error")).toObject();
        QCOMPARE(error.value(QStringLiteral("code")).toString(), QStringLiteral("usage"));
    }

    void decodeInvoiceJson()
    {
        const QString invoice = specInvoice("mainnet, P2PKH fallback and");
        QVERIFY(!invoice.isEmpty());
        const auto result =
            runWallet({QStringLiteral("decode"), QStringLiteral("--json"), invoice});
        QCOMPARE(result.exitCode, 0);
        QVERIFY(result.err.isEmpty());
        const QJsonObject json = QJsonDocument::fromJson(result.out).object();
        QCOMPARE(json.value(QStringLiteral("type")).toString(), QStringLiteral("bolt11"));
        QCOMPARE(json.value(QStringLiteral("network")).toString(), QStringLiteral("bitcoin"));
        QCOMPARE(json.value(QStringLiteral("amount_msat")).toInteger(), 2'000'000'000);
        QCOMPARE(json.value(QStringLiteral("fallback_addresses")).toArray().first().toString(),
                 QStringLiteral("1RustyRX2oai4EYYDpQGWvEL62BBGqN9T"));
        const QJsonArray hops =
            json.value(QStringLiteral("route_hints")).toArray().first().toArray();
        QCOMPARE(hops.size(), 2);
        QCOMPARE(hops.at(0).toObject().value(QStringLiteral("short_channel_id")).toString(),
                 QStringLiteral("66051x263430x1800"));
        // Exactly the contract's keys.
        QStringList keys = json.keys();
        keys.sort();
        QCOMPARE(keys,
                 (QStringList{QStringLiteral("amount_msat"), QStringLiteral("description"),
                              QStringLiteral("description_hash"), QStringLiteral("expiry"),
                              QStringLiteral("fallback_addresses"), QStringLiteral("features"),
                              QStringLiteral("min_final_cltv_expiry"), QStringLiteral("network"),
                              QStringLiteral("payee"), QStringLiteral("payment_hash"),
                              QStringLiteral("payment_secret"), QStringLiteral("route_hints"),
                              QStringLiteral("timestamp"), QStringLiteral("type")}));
    }

    void decodeInvoiceReadable()
    {
        const auto result = runWallet({QStringLiteral("decode"), specInvoice("cup of coffee")});
        QCOMPARE(result.exitCode, 0);
        QVERIFY(result.out.contains("250,000 sat"));
        QVERIFY(result.out.contains("1 cup coffee"));
        QVERIFY(result.out.contains("after 60 s"));
    }

    void decodeMacaroonAndChallenge()
    {
        l402::protocol::L402Identifier identifier{0, QByteArray(32, '\x07'),
                                                  QByteArray(32, '\x08')};
        const auto macaroon =
            l402::protocol::Macaroon::mint("root", identifier.encode(), QStringLiteral("api"))
                .withFirstPartyCaveat("services=weather:0");
        auto result = runWallet({QStringLiteral("decode"), QStringLiteral("--json"),
                                 QString::fromLatin1(macaroon.toBase64())});
        QCOMPARE(result.exitCode, 0);
        QJsonObject json = QJsonDocument::fromJson(result.out).object();
        QCOMPARE(json.value(QStringLiteral("type")).toString(), QStringLiteral("macaroon"));
        QCOMPARE(json.value(QStringLiteral("l402"))
                     .toObject()
                     .value(QStringLiteral("token_id"))
                     .toString(),
                 QString::fromLatin1(QByteArray(32, '\x08').toHex()));

        // An unquoted challenge arrives as several shell words.
        const QString invoice = specInvoice("coffee beans, features");
        result = runWallet(
            {QStringLiteral("decode"), QStringLiteral("--json"), QStringLiteral("LSAT"),
             QStringLiteral("macaroon=\"%1\",").arg(QString::fromLatin1(macaroon.toBase64())),
             QStringLiteral("invoice=\"%1\"").arg(invoice)});
        QCOMPARE(result.exitCode, 0);
        json = QJsonDocument::fromJson(result.out).object();
        QCOMPARE(json.value(QStringLiteral("type")).toString(), QStringLiteral("challenge"));
        const QJsonObject challenge =
            json.value(QStringLiteral("challenges")).toArray().first().toObject();
        QCOMPARE(challenge.value(QStringLiteral("scheme")).toString(), QStringLiteral("LSAT"));
        QCOMPARE(challenge.value(QStringLiteral("invoice"))
                     .toObject()
                     .value(QStringLiteral("description"))
                     .toString(),
                 QStringLiteral("coffee beans"));
        QCOMPARE(challenge.value(QStringLiteral("macaroon"))
                     .toObject()
                     .value(QStringLiteral("location"))
                     .toString(),
                 QStringLiteral("api"));
    }

    void decodeInvalid_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("code");
        QTest::newRow("bad checksum")
            << QStringList{QStringLiteral("lnbc1qqqqqqq")} << QStringLiteral("invalid_bech32");
        QTest::newRow("garbage") << QStringList{QStringLiteral("%%%")}
                                 << QStringLiteral("unrecognized_input");
        QTest::newRow("no challenge") << QStringList{QStringLiteral("Basic realm=\"x\"")}
                                      << QStringLiteral("invalid_challenge");
        QTest::newRow("nothing") << QStringList{} << QStringLiteral("usage");
    }
    void decodeInvalid()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QString, code);
        const auto result =
            runWallet(QStringList{QStringLiteral("decode"), QStringLiteral("--json")} + arguments);
        QVERIFY(result.exitCode == 1 || (code == QLatin1String("usage") && result.exitCode == 64));
        QCOMPARE(result.err.count('\n'), 1);
        QVERIFY(result.err.startsWith("l402-wallet: "));
        const QJsonObject error =
            QJsonDocument::fromJson(result.out).object().value(QStringLiteral("error")).toObject();
        QCOMPARE(error.value(QStringLiteral("code")).toString(), code);
        QVERIFY(!error.value(QStringLiteral("message")).toString().isEmpty());
    }

    // The headless service unlocks the wallet, says so, refuses a second instance on the
    // same data folder, and stops cleanly on SIGTERM.
    void serveStopsOnSigterm()
    {
        QTemporaryDir dataDir;
        QProcess process;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("L402_WALLET_PASSPHRASE"), QStringLiteral("serve-test"));
        process.setProcessEnvironment(environment);
        process.start(QStringLiteral(L402_WALLET_EXECUTABLE),
                      {QStringLiteral("serve"), QStringLiteral("--data-dir"), dataDir.path()});
        QVERIFY(process.waitForStarted());
        QByteArray err;
        QVERIFY(l402::test::pollUntil(
            [&] {
                process.waitForReadyRead(50);
                err += process.readAllStandardError();
                return err.contains("running headless");
            },
            20'000));
        QVERIFY(err.contains("0 payments in the ledger"));
        QVERIFY(QFile::exists(dataDir.path() + QStringLiteral("/wallet.db")));
        QVERIFY(QFileInfo(dataDir.path()).permissions().testFlag(QFileDevice::ReadOwner));

        QProcess second;
        second.setProcessEnvironment(environment);
        second.start(QStringLiteral(L402_WALLET_EXECUTABLE),
                     {QStringLiteral("serve"), QStringLiteral("--data-dir"), dataDir.path()});
        QVERIFY(second.waitForFinished(20'000));
        QCOMPARE(second.exitCode(), 1);
        const QByteArray secondErr = second.readAllStandardError();
        QVERIFY2(secondErr.contains("already using the data folder"), secondErr.constData());
        QVERIFY(secondErr.contains(QByteArray::number(process.processId())));
        QCOMPARE(QFileInfo(dataDir.path()).permissions() &
                     (QFileDevice::ReadOther | QFileDevice::ReadGroup),
                 QFileDevice::Permissions());
        ::kill(static_cast<pid_t>(process.processId()), SIGTERM);
        QVERIFY(process.waitForFinished(20'000));
        QCOMPARE(process.exitStatus(), QProcess::NormalExit);
        QCOMPARE(process.exitCode(), 0);
        err += process.readAllStandardError();
        QVERIFY(err.contains("stopping on signal"));
    }

    // node set / show / test / balance against the LND double over HTTPS; the macaroon is
    // stored in the encrypted wallet and never printed.
    void nodeCommandsAgainstLnd()
    {
        l402::test::FakeLnd lnd;
        QVERIFY(lnd.start());
        lnd.setBalanceMsat(42'000'000);
        QTemporaryDir dir;
        QFile macaroon(dir.path() + QStringLiteral("/admin.macaroon"));
        QVERIFY(macaroon.open(QIODevice::WriteOnly));
        macaroon.write(lnd.macaroon());
        macaroon.close();
        QFile cert(dir.path() + QStringLiteral("/tls.cert"));
        QVERIFY(cert.open(QIODevice::WriteOnly));
        cert.write(lnd.certificate().toPem());
        cert.close();
        const QString wallet = dir.path() + QStringLiteral("/wallet");
        QProcessEnvironment environment;
        environment.insert(QStringLiteral("L402_WALLET_PASSPHRASE"), QStringLiteral("node-test"));

        auto set = l402::test::runWalletServingEvents(
            {QStringLiteral("node"), QStringLiteral("set"), QStringLiteral("lnd"),
             QStringLiteral("--url"), lnd.url().toString(), QStringLiteral("--macaroon"),
             macaroon.fileName(), QStringLiteral("--cert"), cert.fileName(),
             QStringLiteral("--data-dir"), wallet},
            environment);
        QVERIFY2(set.exitCode == 0, set.err.constData());

        auto show = l402::test::runWalletServingEvents(
            {QStringLiteral("node"), QStringLiteral("show"), QStringLiteral("--json"),
             QStringLiteral("--data-dir"), wallet},
            environment);
        QCOMPARE(show.exitCode, 0);
        const QJsonObject shown = QJsonDocument::fromJson(show.out).object();
        QCOMPARE(shown.value(QStringLiteral("backend")).toString(), QStringLiteral("lnd"));
        QVERIFY(shown.value(QStringLiteral("secret")).toString().startsWith(QLatin1String("(set")));
        QVERIFY(!show.out.contains(lnd.macaroon().toHex()));
        QVERIFY(!show.out.contains(lnd.macaroon().toBase64()));

        auto tested = l402::test::runWalletServingEvents(
            {QStringLiteral("node"), QStringLiteral("test"), QStringLiteral("--json"),
             QStringLiteral("--data-dir"), wallet},
            environment);
        QVERIFY2(tested.exitCode == 0, tested.err.constData());
        const QJsonObject info = QJsonDocument::fromJson(tested.out).object();
        QCOMPARE(info.value(QStringLiteral("alias")).toString(), QStringLiteral("fake-lnd"));
        QCOMPARE(info.value(QStringLiteral("network")).toString(), QStringLiteral("regtest"));
        QCOMPARE(info.value(QStringLiteral("spendable_msat")).toInteger(), 42'000'000);

        auto balance =
            l402::test::runWalletServingEvents({QStringLiteral("node"), QStringLiteral("balance"),
                                                QStringLiteral("--data-dir"), wallet},
                                               environment);
        QCOMPARE(balance.exitCode, 0);
        QCOMPARE(balance.out.trimmed(), QByteArray("Spendable: 42,000 sat"));

        // The node goes away: one plain sentence, exit 1.
        lnd.server().close();
        auto down = l402::test::runWalletServingEvents(
            {QStringLiteral("node"), QStringLiteral("test"), QStringLiteral("--data-dir"), wallet},
            environment);
        QCOMPARE(down.exitCode, 1);
        QVERIFY2(down.err.contains("refused the connection"), down.err.constData());
        QCOMPARE(down.err.count('\n'), 1);
    }

    // node set's secrets off the command line: a rune from standard input (`--rune-file -`) and
    // from a file is what the node then accepts; the plain --rune still works but is warned
    // about; an empty stdin is a usage error and changes nothing.
    void nodeSecretFromStdinAndFile()
    {
        l402::test::FakeCln cln;
        QVERIFY(cln.start());
        QTemporaryDir dir;
        QFile ca(dir.filePath(QStringLiteral("ca.pem")));
        QVERIFY(ca.open(QIODevice::WriteOnly));
        ca.write(cln.authority().toPem());
        ca.close();
        const QString wallet = dir.filePath(QStringLiteral("wallet"));
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.remove(QStringLiteral("L402_WALLET_HOME"));
        environment.insert(QStringLiteral("L402_WALLET_PASSPHRASE"), QStringLiteral("node-test"));
        auto run = [&](QStringList arguments, const QByteArray& input = {}) {
            arguments << QStringLiteral("--data-dir") << wallet;
            return l402::test::runProgramServingEvents(QStringLiteral(L402_WALLET_EXECUTABLE),
                                                       arguments, environment, input);
        };
        const QStringList setCln{QStringLiteral("node"), QStringLiteral("set"),
                                 QStringLiteral("cln"),  QStringLiteral("--url"),
                                 cln.url().toString(),   QStringLiteral("--cert"),
                                 ca.fileName()};
        const QStringList test{QStringLiteral("node"), QStringLiteral("test")};

        // A wrong rune on stdin first: stored, and the node refuses it, so the test below
        // proves the stdin rune is the one used.
        auto wrong = run(setCln + QStringList{QStringLiteral("--rune-file"), QStringLiteral("-")},
                         "not-the-rune\n");
        QVERIFY2(wrong.exitCode == 0, wrong.err.constData());
        QVERIFY(!wrong.err.contains("warning"));
        QCOMPARE(run(test).exitCode, 1);

        auto fromStdin =
            run(setCln + QStringList{QStringLiteral("--rune-file"), QStringLiteral("-")},
                cln.rune() + "\n");
        QVERIFY2(fromStdin.exitCode == 0, fromStdin.err.constData());
        QVERIFY2(fromStdin.err.isEmpty(), fromStdin.err.constData());
        auto tested = run(test);
        QVERIFY2(tested.exitCode == 0, tested.err.constData());

        // An empty stdin: refused, and the rune stored before still works.
        auto empty = run(setCln + QStringList{QStringLiteral("--rune-file"), QStringLiteral("-")});
        QCOMPARE(empty.exitCode, 64);
        QVERIFY2(empty.err.contains("empty"), empty.err.constData());
        QCOMPARE(run(test).exitCode, 0);

        // The plain form: accepted, with a warning naming the file form; the rune itself is
        // never echoed.
        auto plain =
            run(setCln + QStringList{QStringLiteral("--rune"), QString::fromUtf8(cln.rune())});
        QVERIFY2(plain.exitCode == 0, plain.err.constData());
        QVERIFY2(plain.err.contains("warning: --rune on the command line"), plain.err.constData());
        QVERIFY(plain.err.contains("--rune-file"));
        QVERIFY(!plain.err.contains(cln.rune()));
        QVERIFY(!plain.out.contains(cln.rune()));
        QCOMPARE(run(test).exitCode, 0);
    }

    // L402_WALLET_PASSPHRASE is overwritten in the process's own environment block once read:
    // /proc/<pid>/environ of a running wallet no longer shows it (unsetenv alone would not
    // change what /proc shows).
    void passphraseVariableScrubbedInPlace()
    {
        QTemporaryDir dir;
        const QByteArray secret =
            "scrub-me-" + QByteArray::number(QRandomGenerator::global()->generate64());
        QProcess serve;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.remove(QStringLiteral("L402_WALLET_HOME"));
        environment.insert(QStringLiteral("L402_WALLET_PASSPHRASE"), QString::fromLatin1(secret));
        serve.setProcessEnvironment(environment);
        serve.start(QStringLiteral(L402_WALLET_EXECUTABLE),
                    {QStringLiteral("serve"), QStringLiteral("--listen"),
                     QStringLiteral("127.0.0.1:0"), QStringLiteral("--data-dir"),
                     dir.filePath(QStringLiteral("w"))});
        QByteArray err;
        QVERIFY(l402::test::pollUntil(
            [&] {
                serve.waitForReadyRead(50);
                err += serve.readAllStandardError();
                return err.contains("running headless") || serve.state() == QProcess::NotRunning;
            },
            20'000));
        QVERIFY2(err.contains("running headless"), err.constData());
        QFile environBlock(QStringLiteral("/proc/%1/environ").arg(serve.processId()));
        QVERIFY(environBlock.open(QIODevice::ReadOnly));
        const QByteArray shown = environBlock.readAll();
        QVERIFY(shown.contains("PATH=")); // the block was read
        QVERIFY(!shown.contains(secret));
        ::kill(static_cast<pid_t>(serve.processId()), SIGTERM);
        QVERIFY(serve.waitForFinished(20'000));
    }

    void serveWithWrongPassphrase()
    {
        QTemporaryDir dataDir;
        QFile passphrase(dataDir.path() + QStringLiteral("/pass"));
        QVERIFY(passphrase.open(QIODevice::WriteOnly));
        passphrase.write("first\n");
        passphrase.close();
        // Create the wallet, then stop it.
        QProcess first;
        first.start(QStringLiteral(L402_WALLET_EXECUTABLE),
                    {QStringLiteral("serve"), QStringLiteral("--data-dir"),
                     dataDir.path() + QStringLiteral("/w"), QStringLiteral("--passphrase-file"),
                     passphrase.fileName()});
        QByteArray err;
        QVERIFY(l402::test::pollUntil(
            [&] {
                first.waitForReadyRead(50);
                err += first.readAllStandardError();
                return err.contains("running headless");
            },
            20'000));
        ::kill(static_cast<pid_t>(first.processId()), SIGTERM);
        QVERIFY(first.waitForFinished(20'000));

        QVERIFY(passphrase.open(QIODevice::WriteOnly | QIODevice::Truncate));
        passphrase.write("second\n");
        passphrase.close();
        const auto result =
            runWallet({QStringLiteral("serve"), QStringLiteral("--json"),
                       QStringLiteral("--data-dir"), dataDir.path() + QStringLiteral("/w"),
                       QStringLiteral("--passphrase-file"), passphrase.fileName()});
        QCOMPARE(result.exitCode, 1);
        QCOMPARE(result.err, QByteArray("l402-wallet: The passphrase is wrong.\n"));
        QCOMPARE(QJsonDocument::fromJson(result.out)
                     .object()
                     .value(QStringLiteral("error"))
                     .toObject()
                     .value(QStringLiteral("code"))
                     .toString(),
                 QStringLiteral("wrong_passphrase"));
    }

    void agentEnvAndCaCommands()
    {
        QTemporaryDir dataDir;
        const QString dir = dataDir.path() + QStringLiteral("/w");
        QProcessEnvironment environment;
        environment.insert(QStringLiteral("L402_WALLET_PASSPHRASE"), QStringLiteral("pw"));
        auto wallet = [&](QStringList arguments) {
            arguments.prepend(dir);
            arguments.prepend(QStringLiteral("--data-dir"));
            return l402::test::runWalletServingEvents(arguments, environment);
        };
        auto added = wallet({QStringLiteral("--json"), QStringLiteral("agent"),
                             QStringLiteral("add"), QStringLiteral("claude")});
        QCOMPARE(added.exitCode, 0);
        const QJsonObject agent = QJsonDocument::fromJson(added.out).object();
        QCOMPARE(agent[QLatin1String("name")].toString(), QStringLiteral("claude"));
        const QString secret = agent[QLatin1String("secret")].toString();
        QVERIFY(secret.size() >= 32);
        QCOMPARE(agent[QLatin1String("proxy_url")].toString(),
                 QStringLiteral("http://claude:%1@127.0.0.1:8402").arg(secret));
        // Once only: a second add of the same name is refused, and no list shows the secret.
        QCOMPARE(wallet({QStringLiteral("agent"), QStringLiteral("add"), QStringLiteral("claude")})
                     .exitCode,
                 1);
        auto list =
            wallet({QStringLiteral("--json"), QStringLiteral("agent"), QStringLiteral("list")});
        QCOMPARE(QJsonDocument::fromJson(list.out).array().size(), 1);
        QVERIFY(!list.out.contains(secret.toLatin1()));
        QCOMPARE(
            wallet({QStringLiteral("agent"), QStringLiteral("add"), QStringLiteral("bad name")})
                .exitCode,
            64);

        auto env =
            wallet({QStringLiteral("env"), QStringLiteral("--agent"), QStringLiteral("claude")});
        QCOMPARE(env.exitCode, 0);
        QVERIFY(env.out.contains("export HTTPS_PROXY=\"http://claude:${L402_WALLET_AGENT_SECRET"));
        const QByteArray certFile = "export SSL_CERT_FILE=\"" + dir.toUtf8() + "/ca-bundle.pem\"";
        QVERIFY(env.out.contains(certFile));
        QVERIFY(env.out.contains("NODE_EXTRA_CA_CERTS"));
        QVERIFY(!env.out.contains(secret.toLatin1()));

        auto exported = wallet({QStringLiteral("ca"), QStringLiteral("export")});
        QCOMPARE(exported.exitCode, 0);
        const QSslCertificate ca(exported.out);
        QVERIFY(!ca.isNull());
        QVERIFY(ca.subjectDisplayName().startsWith(QStringLiteral("L402 Wallet local CA")));
        const QString file = dataDir.path() + QStringLiteral("/our-ca.pem");
        QCOMPARE(wallet({QStringLiteral("ca"), QStringLiteral("export"), file}).exitCode, 0);
        QFile saved(file);
        QVERIFY(saved.open(QIODevice::ReadOnly));
        QCOMPARE(saved.readAll(), exported.out); // created once, the same ever after
        QVERIFY(QFile::exists(dir + QStringLiteral("/ca-bundle.pem")));
        QCOMPARE(QFile::permissions(dir + QStringLiteral("/ca-bundle.pem")) & 0x0077, 0);
        // serve's proxy options are checked before anything is unlocked.
        auto badCa = runWallet({QStringLiteral("serve"), QStringLiteral("--upstream-ca"),
                                dataDir.path() + QStringLiteral("/missing.pem")});
        QCOMPARE(badCa.exitCode, 64);
        QVERIFY(badCa.err.contains("--upstream-ca takes a PEM file"));
        auto badListen = runWallet({QStringLiteral("serve"), QStringLiteral("--listen"),
                                    QStringLiteral("example.com:80")});
        QCOMPARE(badListen.exitCode, 64);
        // The CA's private key is nowhere in the data folder's files.
        QDirIterator files(dir, QDir::Files);
        while (files.hasNext()) {
            QFile any(files.next());
            QVERIFY(any.open(QIODevice::ReadOnly));
            QVERIFY2(!any.readAll().contains("PRIVATE KEY"), qPrintable(any.fileName()));
        }
    }
};

QTEST_GUILESS_MAIN(CliTest)
#include "CliTest.moc"
