#include "core/node/NodeSettings.h"
#include "core/node/NwcNode.h"

#include <QFile>
#include <QJsonDocument>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

using l402::node::NodeSettings;
using l402::node::secretsOnCommandLine;
using l402::node::settingsFromArguments;

namespace {

// The wallet key is secp256k1's generator x coordinate: a valid point.
const QString kNwcUri = QStringLiteral("nostr+walletconnect://79be667ef9dcbbac55a06295ce870b07"
                                       "029bfcdb2dce28d959f2815b16f81798"
                                       "?relay=wss%3A%2F%2Frelay.example.com&secret=") +
                        QString(64, u'7');

struct SecretCase {
    const char* name;
    QStringList before; // the arguments ahead of the secret option
    QString option;     // the plain option; its file form is option + "-file"
    QByteArray secret;  // what the file holds (one line)
    QByteArray stored;  // what NodeSettings::secret must be
};

QList<SecretCase> secretCases()
{
    return {
        {"cln rune",
         {QStringLiteral("cln"), QStringLiteral("--url"), QStringLiteral("https://127.0.0.1:3010")},
         QStringLiteral("--rune"),
         "Y2FzZS1ydW5lLXZhbHVl==",
         "Y2FzZS1ydW5lLXZhbHVl=="},
        {"lnbits admin key",
         {QStringLiteral("lnbits"), QStringLiteral("--url"),
          QStringLiteral("http://127.0.0.1:5000")},
         QStringLiteral("--admin-key"),
         "0123456789abcdef0123456789abcdef",
         "0123456789abcdef0123456789abcdef"},
        {"phoenixd password",
         {QStringLiteral("phoenixd"), QStringLiteral("--url"),
          QStringLiteral("http://127.0.0.1:9740")},
         QStringLiteral("--password"),
         "a7f3 with a space",
         "a7f3 with a space"},
        {"nwc uri",
         {QStringLiteral("nwc")},
         QStringLiteral("--uri"),
         kNwcUri.toUtf8(),
         QByteArray(32, '\x77')},
        {"top-level uri", {}, QStringLiteral("--uri"), kNwcUri.toUtf8(), QByteArray(32, '\x77')},
    };
}

QString writeFile(const QTemporaryDir& dir, const QString& name, const QByteArray& content)
{
    QFile file(dir.filePath(name));
    if (!file.open(QIODevice::WriteOnly)) {
        return {};
    }
    file.write(content);
    return file.fileName();
}

} // namespace

// `node set` secrets: each has a --NAME-file form that reads one line from a file (or stdin,
// covered end to end in CliTest), so nothing secret needs to be on a command line.
class NodeSettingsTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void secretFromFile_data()
    {
        QTest::addColumn<int>("index");
        const auto cases = secretCases();
        for (int i = 0; i < cases.size(); ++i) {
            QTest::newRow(cases.at(i).name) << i;
        }
    }
    void secretFromFile()
    {
        QFETCH(int, index);
        const SecretCase c = secretCases().at(index);
        QTemporaryDir dir;
        // As `echo SECRET > file` leaves it: the newline is not part of the secret.
        const QString path = writeFile(dir, QStringLiteral("secret"), c.secret + "\n");
        auto fromFile =
            settingsFromArguments(c.before + QStringList{c.option + QStringLiteral("-file"), path});
        QVERIFY2(fromFile, qPrintable(fromFile ? QString() : fromFile.error().message));
        QCOMPARE(fromFile->secret, c.stored);
        // The =VALUE spelling as well.
        auto joined = settingsFromArguments(
            c.before + QStringList{c.option + QStringLiteral("-file=") + path});
        QVERIFY(joined);
        QCOMPARE(joined->secret, c.stored);
        // The plain form gives the same settings, and is the one the CLI warns about.
        const QStringList plain = c.before + QStringList{c.option, QString::fromUtf8(c.secret)};
        auto fromValue = settingsFromArguments(plain);
        QVERIFY(fromValue);
        QCOMPARE(fromValue->secret, c.stored);
        QCOMPARE(fromValue->settings, fromFile->settings);
        QCOMPARE(secretsOnCommandLine(plain), QStringList{c.option});
        QVERIFY(
            secretsOnCommandLine(c.before + QStringList{c.option + QStringLiteral("-file"), path})
                .isEmpty());
        // The URI stored as a setting is the one without its secret.
        QVERIFY(!QJsonDocument(fromFile->settings).toJson().contains(QString(64, u'7').toUtf8()));
    }

    void badSecretFiles_data()
    {
        QTest::addColumn<int>("index");
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("message");
        const auto cases = secretCases();
        for (int i = 0; i < cases.size(); ++i) {
            const QByteArray name = cases.at(i).name;
            QTest::newRow(QByteArray(name + " empty").constData())
                << i << QByteArray("\n") << QStringLiteral("empty");
            QTest::newRow(QByteArray(name + " two lines").constData())
                << i << QByteArray("first\nsecond\n") << QStringLiteral("more than one line");
            QTest::newRow(QByteArray(name + " huge").constData())
                << i << QByteArray(65 * 1024, 'k') << QStringLiteral("larger than 64 KiB");
        }
    }
    void badSecretFiles()
    {
        QFETCH(int, index);
        QFETCH(QByteArray, content);
        QFETCH(QString, message);
        const SecretCase c = secretCases().at(index);
        QTemporaryDir dir;
        const QString path = writeFile(dir, QStringLiteral("secret"), content);
        auto result =
            settingsFromArguments(c.before + QStringList{c.option + QStringLiteral("-file"), path});
        QVERIFY(!result);
        QCOMPARE(result.error().code, QStringLiteral("usage"));
        QVERIFY2(result.error().message.contains(message), qPrintable(result.error().message));
    }

    void missingFileAndBothForms()
    {
        for (const SecretCase& c : secretCases()) {
            auto missing = settingsFromArguments(
                c.before + QStringList{c.option + QStringLiteral("-file"),
                                       QStringLiteral("/nonexistent/secret")});
            QVERIFY(!missing);
            QVERIFY2(missing.error().message.contains(QLatin1String("/nonexistent/secret")),
                     qPrintable(missing.error().message));
            QTemporaryDir dir;
            const QString path = writeFile(dir, QStringLiteral("s"), c.secret);
            auto both = settingsFromArguments(
                c.before + QStringList{c.option, QStringLiteral("x"),
                                       c.option + QStringLiteral("-file"), path});
            QVERIFY(!both);
            QCOMPARE(both.error().code, QStringLiteral("usage"));
            QVERIFY(both.error().message.contains(QLatin1String("not both")));
        }
    }

    // One table: every plain secret option `node set` accepts is warned about, and each has a
    // file form; an option added to one place but not the other fails here.
    void everyPlainSecretOptionHasAFileForm()
    {
        QSet<QString> warned;
        for (const SecretCase& c : secretCases()) {
            warned.insert(c.option);
        }
        const QStringList& all = l402::node::plainSecretOptions();
        QCOMPARE(QSet<QString>(all.begin(), all.end()), warned);
        for (const QString& option : all) {
            QCOMPARE(secretsOnCommandLine({option, QStringLiteral("v")}), QStringList{option});
            QCOMPARE(secretsOnCommandLine({option + QStringLiteral("=v")}), QStringList{option});
        }
        QVERIFY(secretsOnCommandLine(
                    {QStringLiteral("lnd"), QStringLiteral("--macaroon"), QStringLiteral("/path")})
                    .isEmpty());
    }
};

QTEST_GUILESS_MAIN(NodeSettingsTest)
#include "NodeSettingsTest.moc"
