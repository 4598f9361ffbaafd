// `l402-wallet mcp` in a scripted client conversation over stdio: initialize, list the tools,
// call fetch that pays, call fetch over budget, decode, budget status; the session ends when
// the client closes stdin.

#include "tests/support/CliWorld.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

using namespace l402;
using namespace l402::test;

class McpTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void scriptedConversation();

private:
    QJsonObject request(QProcess& mcp, int id, const QString& method, const QJsonObject& params);
    QByteArray m_pending;
};

QJsonObject McpTest::request(QProcess& mcp, int id, const QString& method,
                             const QJsonObject& params)
{
    const QJsonObject message{{QStringLiteral("jsonrpc"), QStringLiteral("2.0")},
                              {QStringLiteral("id"), id},
                              {QStringLiteral("method"), method},
                              {QStringLiteral("params"), params}};
    mcp.write(QJsonDocument(message).toJson(QJsonDocument::Compact) + '\n');
    QJsonObject answer;
    (void)QTest::qWaitFor(
        [&] {
            m_pending += mcp.readAllStandardOutput();
            const qsizetype end = m_pending.indexOf('\n');
            if (end < 0) {
                return false;
            }
            answer = QJsonDocument::fromJson(m_pending.left(end)).object();
            m_pending.remove(0, end + 1);
            return true;
        },
        30'000);
    return answer;
}

void McpTest::scriptedConversation()
{
    CliWorld world;
    QVERIFY(world.start());
    FakeLnd& lnd = world.lnd();
    demo::PaidApiServer& api = world.api();
    const QString dataDir = world.dataDir();
    auto wallet = [&](const QStringList& arguments) {
        return world.wallet(arguments);
    };
    // 30 sat a day: the quote (21 sat + 10 sat fee reserve) fits, nothing more does.
    QCOMPARE(wallet({QStringLiteral("budget"), QStringLiteral("set"), QStringLiteral("*"),
                     QStringLiteral("--mode"), QStringLiteral("auto"), QStringLiteral("--daily"),
                     QStringLiteral("31")})
                 .exitCode,
             0);

    QProcess mcp;
    QProcessEnvironment full = QProcessEnvironment::systemEnvironment();
    full.insert(world.environment());
    mcp.setProcessEnvironment(full);
    mcp.start(QStringLiteral(L402_WALLET_EXECUTABLE),
              {QStringLiteral("--data-dir"), dataDir, QStringLiteral("mcp")});
    QVERIFY(mcp.waitForStarted());

    const QJsonObject init =
        request(mcp, 1, QStringLiteral("initialize"),
                {{QStringLiteral("protocolVersion"), QStringLiteral("2025-06-18")},
                 {QStringLiteral("capabilities"), QJsonObject{}},
                 {QStringLiteral("clientInfo"),
                  QJsonObject{{QStringLiteral("name"), QStringLiteral("test")},
                              {QStringLiteral("version"), QStringLiteral("1")}}}});
    QCOMPARE(init[QLatin1String("id")].toInt(), 1);
    const QJsonObject result = init[QLatin1String("result")].toObject();
    QCOMPARE(result[QLatin1String("protocolVersion")].toString(), QStringLiteral("2025-06-18"));
    QVERIFY(result[QLatin1String("capabilities")].toObject().contains(QLatin1String("tools")));
    QCOMPARE(result[QLatin1String("serverInfo")].toObject()[QLatin1String("name")].toString(),
             QStringLiteral("l402-wallet"));
    mcp.write(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"
              "\n");

    const QJsonObject listed = request(mcp, 2, QStringLiteral("tools/list"), {});
    QStringList names;
    for (const QJsonValue& tool :
         listed[QLatin1String("result")][QLatin1String("tools")].toArray()) {
        names << tool[QLatin1String("name")].toString();
        QVERIFY(tool[QLatin1String("inputSchema")].isObject());
    }
    QCOMPARE(names, (QStringList{QStringLiteral("fetch"), QStringLiteral("budget_status"),
                                 QStringLiteral("list_tokens"), QStringLiteral("decode")}));

    // fetch that pays.
    const QJsonObject paid = request(
        mcp, 3, QStringLiteral("tools/call"),
        {{QStringLiteral("name"), QStringLiteral("fetch")},
         {QStringLiteral("arguments"),
          QJsonObject{{QStringLiteral("url"), api.url(QStringLiteral("/v1/quote")).toString()}}}});
    const QJsonObject paidResult = paid[QLatin1String("result")].toObject();
    QVERIFY2(!paidResult[QLatin1String("isError")].toBool(),
             QJsonDocument(paid).toJson().constData());
    const QJsonObject content = paidResult[QLatin1String("structuredContent")].toObject();
    QCOMPARE(content[QLatin1String("status")].toInt(), 200);
    QVERIFY(content[QLatin1String("body")].toString().contains(QStringLiteral("Alan Kay")));
    QCOMPARE(content[QLatin1String("payment")][QLatin1String("amount_sat")].toDouble(), 21.0);
    QCOMPARE(paidResult[QLatin1String("content")][0][QLatin1String("type")].toString(),
             QStringLiteral("text"));

    // fetch over the budget: a tool error with the contract's code, nothing paid.
    const QJsonObject refused = request(
        mcp, 4, QStringLiteral("tools/call"),
        {{QStringLiteral("name"), QStringLiteral("fetch")},
         {QStringLiteral("arguments"),
          QJsonObject{{QStringLiteral("url"), api.url(QStringLiteral("/v1/joke")).toString()}}}});
    const QJsonObject refusedResult = refused[QLatin1String("result")].toObject();
    QVERIFY(refusedResult[QLatin1String("isError")].toBool());
    QCOMPARE(refusedResult[QLatin1String("structuredContent")][QLatin1String("error")]
                          [QLatin1String("code")]
                              .toString(),
             QStringLiteral("budget_exceeded"));
    QCOMPARE(lnd.totalSendCalls(), 1);

    // An agent's max_cost_sats that is no amount (2^63-1 used to overflow and kill the
    // server): a tool error, nothing paid, and the server answers the next call.
    int badId = 40;
    for (const QJsonValue& bad :
         {QJsonValue(9223372036854775807.0), QJsonValue(-1), QJsonValue(1.5), QJsonValue(1e300),
          QJsonValue(2'100'000'000'000'001.0), QJsonValue(QStringLiteral("21"))}) {
        const QJsonObject answer = request(
            mcp, badId++, QStringLiteral("tools/call"),
            {{QStringLiteral("name"), QStringLiteral("fetch")},
             {QStringLiteral("arguments"),
              QJsonObject{{QStringLiteral("url"), api.url(QStringLiteral("/v1/joke")).toString()},
                          {QStringLiteral("max_cost_sats"), bad}}}});
        const QJsonObject badResult = answer[QLatin1String("result")].toObject();
        QVERIFY2(badResult[QLatin1String("isError")].toBool(),
                 QJsonDocument(answer).toJson().constData());
        QCOMPARE(badResult[QLatin1String("structuredContent")][QLatin1String("error")]
                          [QLatin1String("code")]
                              .toString(),
                 QStringLiteral("bad_request"));
    }
    QCOMPARE(mcp.state(), QProcess::Running);
    QCOMPARE(lnd.totalSendCalls(), 1);

    const QJsonObject budget = request(mcp, 5, QStringLiteral("tools/call"),
                                       {{QStringLiteral("name"), QStringLiteral("budget_status")},
                                        {QStringLiteral("arguments"), QJsonObject{}}});
    QCOMPARE(budget[QLatin1String("result")][QLatin1String("structuredContent")]
                   [QLatin1String("rules")][0][QLatin1String("used_today_msat")]
                       .toInteger(),
             21'000 + 1'234);

    const QJsonObject tokens = request(mcp, 6, QStringLiteral("tools/call"),
                                       {{QStringLiteral("name"), QStringLiteral("list_tokens")},
                                        {QStringLiteral("arguments"), QJsonObject{}}});
    const QJsonArray tokenList =
        tokens[QLatin1String("result")][QLatin1String("structuredContent")][QLatin1String("tokens")]
            .toArray();
    QCOMPARE(tokenList.size(), 1);
    QVERIFY(!QJsonDocument(tokens).toJson().contains("preimage")); // no secrets

    const QJsonObject unknown = request(mcp, 7, QStringLiteral("no/such"), {});
    QCOMPARE(unknown[QLatin1String("error")][QLatin1String("code")].toInt(), -32601);

    mcp.closeWriteChannel(); // the client leaves
    QVERIFY(QTest::qWaitFor([&] { return mcp.state() == QProcess::NotRunning; }, 20'000));
    QCOMPARE(mcp.exitCode(), 0);
}

QTEST_GUILESS_MAIN(McpTest)
#include "McpTest.moc"
