// The one table of refusal codes (core/payments/RefusalCodes) against the contract (DESIGN §4),
// against the sources (every code a payment or the proxy can give is in it) and against the
// table in docs/ARCHITECTURE.md.

#include "core/payments/RefusalCodes.h"

#include <QDirIterator>
#include <QFile>
#include <QRegularExpression>
#include <QSet>
#include <QTest>

using namespace l402::payments;

namespace {

QString sourceDir()
{
    return QStringLiteral(L402_SOURCE_DIR);
}

QString readText(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return {};
    }
    return QString::fromUtf8(file.readAll());
}

QStringList sourceFiles(const QStringList& folders)
{
    QStringList files;
    for (const QString& folder : folders) {
        QDirIterator it(sourceDir() + u'/' + folder,
                        {QStringLiteral("*.h"), QStringLiteral("*.cpp")}, QDir::Files,
                        QDirIterator::Subdirectories);
        while (it.hasNext()) {
            files << it.next();
        }
    }
    files.sort();
    return files;
}

QSet<QString> tableCodes()
{
    QSet<QString> codes;
    for (const RefusalCode& entry : refusalCodes()) {
        codes.insert(QString::fromLatin1(entry.code.data(), qsizetype(entry.code.size())));
    }
    return codes;
}

// Error-code namespaces whose codes never reach an agent as they are: the engine maps them
// (node failures become node_unavailable or payment_failed, undecodable invoices
// invalid_challenge or invalid_signature, a duplicate hash payment_pending), or they belong to
// parts no payment goes through (crypto, nostr, the store and its keys).
const QSet<QString>& mappedNamespaces()
{
    static const QSet<QString> names{
        QStringLiteral("node_error"),    QStringLiteral("invoice_error"),
        QStringLiteral("ledger_error"),  QStringLiteral("store_error"),
        QStringLiteral("key_error"),     QStringLiteral("directory_error"),
        QStringLiteral("secret_error"),  QStringLiteral("nostr_error"),
        QStringLiteral("schnorr_error"), QStringLiteral("nip44_error"),
        QStringLiteral("nip04_error"),
    };
    return names;
}

// Codes at error sites in the payment and proxy sources that are not a payment's answer to an
// agent: the owner's own commands and the host starting up.
const QSet<QString>& notAgentCodes()
{
    static const QSet<QString> codes{
        QStringLiteral("file"),           // fetch -o cannot write
        QStringLiteral("usage"),          // command line
        QStringLiteral("control_socket"), // the host cannot open its socket
        QStringLiteral("invalid_agent_name"),
        QStringLiteral("agent_exists"),
        QStringLiteral("invalid_amount"),
        QStringLiteral("invalid_rate"), // budget set --max-rate
        QStringLiteral("invalid_pattern"),
        QStringLiteral("invalid_setting"), // owner's edits (CLI, window)
        QStringLiteral("database_error"),  // the engine reports it as wallet_error
        QStringLiteral("local_ca"),
        QStringLiteral("proxy"),
        QStringLiteral("proxy_listen"), // the proxy cannot start
    };
    return codes;
}

} // namespace

class RefusalCodesTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void tableIsWellFormed()
    {
        QSet<QString> seen;
        static const QRegularExpression snake(QStringLiteral("^[a-z][a-z0-9]*(_[a-z0-9]+)*$"));
        for (const RefusalCode& entry : refusalCodes()) {
            const QString code =
                QString::fromLatin1(entry.code.data(), qsizetype(entry.code.size()));
            QVERIFY2(snake.match(code).hasMatch(), qPrintable(code));
            QVERIFY2(!seen.contains(code), qPrintable(QStringLiteral("twice: ") + code));
            seen.insert(code);
            QVERIFY2(entry.httpStatus >= 400 && entry.httpStatus < 600, qPrintable(code));
            QVERIFY(findRefusalCode(code).has_value());
            QCOMPARE(findRefusalCode(code)->httpStatus, entry.httpStatus);
        }
        QVERIFY(seen.size() >= 30);
    }

    // DESIGN §4: the proxy's statuses, one by one.
    void proxyStatusesFollowTheContract_data()
    {
        QTest::addColumn<QString>("code");
        QTest::addColumn<int>("status");
        for (const char* code :
             {"budget_exceeded", "over_max_payment", "denied_by_user", "approval_timeout",
              "site_blocked", "invoice_mismatch", "invoice_expired", "wrong_network",
              "amountless_invoice", "invalid_challenge", "rate_limited", "origin_paused",
              "price_spike", "wallet_paused", "agent_paused"}) {
            QTest::newRow(code) << QString::fromLatin1(code) << 402;
        }
        QTest::newRow("destination_not_allowed")
            << QStringLiteral("destination_not_allowed") << 403;
        QTest::newRow("proxy_auth_required") << QStringLiteral("proxy_auth_required") << 407;
        QTest::newRow("body_too_large_to_replay")
            << QStringLiteral("body_too_large_to_replay") << 413;
        QTest::newRow("node_unavailable") << QStringLiteral("node_unavailable") << 502;
        QTest::newRow("payment_failed") << QStringLiteral("payment_failed") << 502;
        QTest::newRow("upstream_unreachable") << QStringLiteral("upstream_unreachable") << 502;
        QTest::newRow("payment_pending") << QStringLiteral("payment_pending") << 504;
    }
    void proxyStatusesFollowTheContract()
    {
        QFETCH(QString, code);
        QFETCH(int, status);
        QVERIFY2(findRefusalCode(code).has_value(), qPrintable(code + QStringLiteral(" missing")));
        QCOMPARE(httpStatusForRefusal(code), status);
    }

    // lnget's exit codes: over a cost or budget 2, refused or failed 3, network 4, wallet 1.
    void fetchExitCodesFollowLnget_data()
    {
        QTest::addColumn<QString>("code");
        QTest::addColumn<int>("exit");
        QTest::newRow("over_max_cost") << QStringLiteral("over_max_cost") << 2;
        QTest::newRow("over_max_payment") << QStringLiteral("over_max_payment") << 2;
        QTest::newRow("budget_exceeded") << QStringLiteral("budget_exceeded") << 2;
        QTest::newRow("rate_limited") << QStringLiteral("rate_limited") << 2;
        QTest::newRow("site_blocked") << QStringLiteral("site_blocked") << 3;
        QTest::newRow("denied_by_user") << QStringLiteral("denied_by_user") << 3;
        QTest::newRow("wallet_paused") << QStringLiteral("wallet_paused") << 3;
        QTest::newRow("agent_paused") << QStringLiteral("agent_paused") << 3;
        QTest::newRow("origin_paused") << QStringLiteral("origin_paused") << 3;
        QTest::newRow("price_spike") << QStringLiteral("price_spike") << 3;
        QTest::newRow("payment_failed") << QStringLiteral("payment_failed") << 3;
        QTest::newRow("payment_pending") << QStringLiteral("payment_pending") << 3;
        QTest::newRow("token_rejected") << QStringLiteral("token_rejected") << 3;
        QTest::newRow("upstream_unreachable") << QStringLiteral("upstream_unreachable") << 4;
        QTest::newRow("wallet_error") << QStringLiteral("wallet_error") << 1;
        QTest::newRow("no_node") << QStringLiteral("no_node") << 1;
        QTest::newRow("control_unavailable") << QStringLiteral("control_unavailable") << 1;
        QTest::newRow("invalid_url") << QStringLiteral("invalid_url") << 1;
    }
    void fetchExitCodesFollowLnget()
    {
        QFETCH(QString, code);
        QFETCH(int, exit);
        QCOMPARE(fetchExitForRefusal(code), exit);
    }

    void unknownCodeIsARefusalToPay()
    {
        QVERIFY(!findRefusalCode(u"no_such_code").has_value());
        QCOMPARE(httpStatusForRefusal(u"no_such_code"), 402);
        QCOMPARE(fetchExitForRefusal(u"no_such_code"), 3);
        QCOMPARE(refusalKindName(RefusalKind::OverLimit), QStringLiteral("over_limit"));
        QCOMPARE(refusalKindName(findRefusalCode(u"wallet_paused")->kind),
                 QStringLiteral("refused"));
    }

    // Every string constant in an *_error namespace is in the table, unless its namespace is
    // one the engine maps or no payment reaches.
    void everyErrorNamespaceCodeIsInTheTable()
    {
        static const QRegularExpression block(
            QStringLiteral("namespace\\s+(\\w+_error)\\s*\\{(.*?)\\}"),
            QRegularExpression::DotMatchesEverythingOption);
        static const QRegularExpression constant(QStringLiteral("=\\s*\"([a-z][a-z0-9_]*)\""));
        const QSet<QString> table = tableCodes();
        QSet<QString> namespaces;
        int checked = 0;
        for (const QString& path : sourceFiles({QStringLiteral("core"), QStringLiteral("app")})) {
            const QString text = readText(path);
            for (auto blocks = block.globalMatch(text); blocks.hasNext();) {
                const auto found = blocks.next();
                namespaces.insert(found.captured(1));
                if (mappedNamespaces().contains(found.captured(1))) {
                    continue;
                }
                for (auto constants = constant.globalMatch(found.captured(2));
                     constants.hasNext();) {
                    const QString code = constants.next().captured(1);
                    ++checked;
                    QVERIFY2(table.contains(code),
                             qPrintable(QStringLiteral("%1 (%2 in %3) is not in "
                                                       "core/payments/RefusalCodes.cpp")
                                            .arg(code, found.captured(1), path)));
                }
            }
        }
        // The scan found what it must: the flow's namespaces and their codes.
        for (const char* name :
             {"engine_error", "budget_error", "check_error", "fetch_error", "refusal_error"}) {
            QVERIFY2(namespaces.contains(QString::fromLatin1(name)), name);
        }
        QVERIFY(checked >= 20);
    }

    // Every code written at an error site of the payment, proxy, policy and control sources
    // (Error{"…"}, failure("…"), sendError("…"), the parser's fail("…"), the proxy admission's
    // refused(Route::…, "…")) is in the table or
    // named above as no agent's.
    void everyRefusalSiteCodeIsInTheTable()
    {
        static const QRegularExpression site(
            QStringLiteral("(?:Error\\{|\\bfailure\\(|sendError\\(|refuseAndClose\\(|\\bfail\\(|"
                           "\\brefused\\(Route::[A-Za-z]+,)\\s*"
                           "(?:QLatin1String|QStringLiteral)?\\(?\\s*\"([a-z][a-z0-9_]*)\""));
        const QSet<QString> table = tableCodes();
        QStringList files =
            sourceFiles({QStringLiteral("core/payments"), QStringLiteral("core/proxy"),
                         QStringLiteral("core/policy"), QStringLiteral("core/control")});
        for (const char* file : {"app/FetchCommand.cpp", "app/McpCommand.cpp",
                                 "app/WalletRuntime.cpp", "app/WalletSession.cpp"}) {
            files << sourceDir() + u'/' + QLatin1String(file);
        }
        QSet<QString> seen;
        for (const QString& path : files) {
            const QString text = readText(path);
            QVERIFY2(!text.isEmpty(), qPrintable(path));
            for (auto sites = site.globalMatch(text); sites.hasNext();) {
                const QString code = sites.next().captured(1);
                seen.insert(code);
                QVERIFY2(table.contains(code) || notAgentCodes().contains(code),
                         qPrintable(QStringLiteral("%1 (in %2) is not in "
                                                   "core/payments/RefusalCodes.cpp")
                                        .arg(code, path)));
            }
        }
        for (const char* expected :
             {"proxy_auth_required", "upstream_unreachable", "headers_too_large", "no_node"}) {
            QVERIFY2(seen.contains(QString::fromLatin1(expected)), expected);
        }
    }

    // docs/ARCHITECTURE.md's "Refusal codes" table says what the code does.
    void documentedTableMatches()
    {
        const QString text = readText(sourceDir() + QStringLiteral("/docs/ARCHITECTURE.md"));
        const qsizetype start = text.indexOf(QStringLiteral("\n## Refusal codes"));
        QVERIFY2(start >= 0, "docs/ARCHITECTURE.md has no '## Refusal codes' section");
        const qsizetype end = text.indexOf(QStringLiteral("\n## "), start + 1);
        const QString section = text.mid(start, end < 0 ? -1 : end - start);
        static const QRegularExpression row(
            QStringLiteral("^\\|\\s*`([a-z0-9_]+)`\\s*\\|\\s*(\\d{3})\\s*\\|\\s*(\\d)\\s*\\|"),
            QRegularExpression::MultilineOption);
        QSet<QString> documented;
        for (auto rows = row.globalMatch(section); rows.hasNext();) {
            const auto found = rows.next();
            const QString code = found.captured(1);
            documented.insert(code);
            const auto entry = findRefusalCode(code);
            QVERIFY2(entry.has_value(), qPrintable(code + QStringLiteral(" is documented only")));
            QCOMPARE(found.captured(2).toInt(), entry->httpStatus);
            QCOMPARE(found.captured(3).toInt(), fetchExitFor(entry->kind));
        }
        for (const QString& code : tableCodes()) {
            QVERIFY2(documented.contains(code),
                     qPrintable(code + QStringLiteral(" is missing from docs/ARCHITECTURE.md")));
        }
    }
};

QTEST_GUILESS_MAIN(RefusalCodesTest)
#include "RefusalCodesTest.moc"
