// Budget rules over the real store with an injectable clock: calendar windows in local time
// (midnight, Monday, the 1st, DST), what counts against a budget, rule specificity, per-agent
// rules, and host patterns.

#include "core/policy/Budget.h"
#include "core/crypto/Digest.h"
#include "core/policy/RuleEdit.h"
#include "core/store/PaymentLedger.h"
#include "tests/support/StoreFixtures.h"

#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

using namespace l402;
using namespace l402::policy;
using namespace l402::test;

namespace {

QDateTime at(const char* localTime, const QTimeZone& zone)
{
    return QDateTime(QDateTime::fromString(QString::fromLatin1(localTime), Qt::ISODate).date(),
                     QDateTime::fromString(QString::fromLatin1(localTime), Qt::ISODate).time(),
                     zone)
        .toUTC();
}

class Wallet {
public:
    explicit Wallet(ManualClock& clock, QTimeZone zone)
        : m_clock(clock)
    {
        auto opened = openWalletAndWait(
            passphraseRequest(m_dir.path() + QStringLiteral("/w"), "pw"), nullptr, clock);
        if (opened) {
            m_store = std::move(opened.value());
            m_book = std::make_unique<BudgetBook>(m_store->database(), clock, std::move(zone));
        }
    }
    bool ok() const { return m_book != nullptr; }
    BudgetBook& book() { return *m_book; }

    // A settled payment of `amount` + `fee` msat at the clock's time.
    void settled(const QString& origin, int64_t amount, int64_t fee, const QString& agent = {})
    {
        const QByteArray preimage = crypto::randomBytes(32);
        store::NewPayment payment;
        payment.origin = origin;
        payment.agent = agent;
        payment.scheme = QStringLiteral("L402");
        payment.invoice = QStringLiteral("lnbcrt1");
        payment.paymentHash = crypto::sha256(preimage);
        payment.amountMsat = amount;
        payment.feeLimitMsat = 10'000;
        auto id = m_store->ledger().recordInitiated(payment);
        QVERIFY(id.ok());
        QVERIFY(m_store->ledger().markSucceeded(id.value(), preimage, fee).ok());
    }
    int64_t pending(const QString& origin, int64_t amount, int64_t feeLimit)
    {
        store::NewPayment payment;
        payment.origin = origin;
        payment.scheme = QStringLiteral("L402");
        payment.invoice = QStringLiteral("lnbcrt1");
        payment.paymentHash = crypto::randomBytes(32);
        payment.amountMsat = amount;
        payment.feeLimitMsat = feeLimit;
        auto id = m_store->ledger().recordInitiated(payment);
        return id ? id.value() : -1;
    }
    store::WalletStore& store() { return *m_store; }

private:
    ManualClock& m_clock;
    QTemporaryDir m_dir;
    std::unique_ptr<store::WalletStore> m_store;
    std::unique_ptr<BudgetBook> m_book;
};

const Origin kApi = Origin::parse(QStringLiteral("https://api.example.com")).value();

BudgetRule rule(const QString& pattern, Mode mode = Mode::Auto)
{
    BudgetRule r;
    r.pattern = pattern;
    r.mode = mode;
    return r;
}

} // namespace

class BudgetTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void hostPatterns_data();
    void hostPatterns();
    void windowsFollowTheLocalCalendar_data();
    void windowsFollowTheLocalCalendar();
    void dailyBudgetRenewsAtLocalMidnight();
    void weeklyBudgetRenewsOnMonday();
    void monthlyBudgetRenewsOnTheFirst();
    void dstDayIsTwentyThreeHoursLong();
    void pendingPaymentsAndFeeReserveCount();
    void mostSpecificRuleDecidesAskButNotLimits();
    void combinations_data();
    void combinations();
    void randomRulesNeverLetAnyCapBeExceeded();
    void editsKeepWhatTheyDoNotName();
    void paymentRates();
    void perAgentRules();
    void approvalThresholds();
    void rulesAreReplacedAndRemoved();
};

void BudgetTest::hostPatterns_data()
{
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<QString>("origin");
    QTest::addColumn<bool>("matches");
    QTest::newRow("exact") << "api.example.com"
                           << "https://api.example.com" << true;
    QTest::newRow("exact, any port") << "api.example.com"
                                     << "http://api.example.com:8080" << true;
    QTest::newRow("case") << "API.Example.com"
                          << "https://api.example.com" << true;
    QTest::newRow("other host") << "api.example.com"
                                << "https://example.com" << false;
    QTest::newRow("port") << "api.example.com:8443"
                          << "https://api.example.com:8443" << true;
    QTest::newRow("wrong port") << "api.example.com:8443"
                                << "https://api.example.com" << false;
    QTest::newRow("wildcard") << "*.example.com"
                              << "https://a.b.example.com" << true;
    QTest::newRow("wildcard not apex") << "*.example.com"
                                       << "https://example.com" << false;
    QTest::newRow("wildcard suffix trick") << "*.example.com"
                                           << "https://badexample.com" << false;
    QTest::newRow("everything") << "*"
                                << "http://localhost:3000" << true;
    QTest::newRow("ipv6") << "[::1]:8402"
                          << "http://[::1]:8402" << true;
}

void BudgetTest::hostPatterns()
{
    QFETCH(QString, pattern);
    QFETCH(QString, origin);
    QFETCH(bool, matches);
    auto parsed = HostPattern::parse(pattern);
    QVERIFY2(parsed.ok(), qPrintable(parsed ? QString() : parsed.error().message));
    QCOMPARE(parsed->matches(Origin::parse(origin).value()), matches);
    for (const char* bad : {"", "http://x.com", "*.", "a b", "x.com:port", "**.x.com"}) {
        QVERIFY2(!HostPattern::parse(QString::fromLatin1(bad)).ok(), bad);
    }
}

void BudgetTest::windowsFollowTheLocalCalendar_data()
{
    QTest::addColumn<QString>("zone");
    QTest::addColumn<QString>("now");
    QTest::addColumn<QString>("day");
    QTest::addColumn<QString>("week");
    QTest::addColumn<QString>("month");
    // Wednesday 2026-07-15 in Berlin (UTC+2).
    QTest::newRow("berlin summer") << "Europe/Berlin"
                                   << "2026-07-15T09:30:00"
                                   << "2026-07-15T00:00:00"
                                   << "2026-07-13T00:00:00"
                                   << "2026-07-01T00:00:00";
    // Sunday night still belongs to the week that began on Monday.
    QTest::newRow("sunday 23:59") << "America/New_York"
                                  << "2026-11-22T23:59:59"
                                  << "2026-11-22T00:00:00"
                                  << "2026-11-16T00:00:00"
                                  << "2026-11-01T00:00:00";
    // A week that began in the previous month.
    QTest::newRow("week spans months") << "Asia/Tokyo"
                                       << "2026-04-02T12:00:00"
                                       << "2026-04-02T00:00:00"
                                       << "2026-03-30T00:00:00"
                                       << "2026-04-01T00:00:00";
}

void BudgetTest::windowsFollowTheLocalCalendar()
{
    QFETCH(QString, zone);
    QFETCH(QString, now);
    QFETCH(QString, day);
    QFETCH(QString, week);
    QFETCH(QString, month);
    const QTimeZone tz(zone.toLatin1());
    QVERIFY(tz.isValid());
    const Windows windows = windowsAt(at(now.toLatin1().constData(), tz), tz);
    QCOMPARE(windows.day.start, at(day.toLatin1().constData(), tz));
    QCOMPARE(windows.week.start, at(week.toLatin1().constData(), tz));
    QCOMPARE(windows.month.start, at(month.toLatin1().constData(), tz));
    QCOMPARE(windows.day.end, windows.day.start.toTimeZone(tz).addDays(1));
    QCOMPARE(windows.week.end.toTimeZone(tz).date().dayOfWeek(), 1);
    QCOMPARE(windows.month.end.toTimeZone(tz).date().day(), 1);
}

void BudgetTest::dailyBudgetRenewsAtLocalMidnight()
{
    const QTimeZone berlin("Europe/Berlin");
    ManualClock clock(at("2026-07-15T23:59:00", berlin));
    Wallet wallet(clock, berlin);
    QVERIFY(wallet.ok());
    BudgetRule daily = rule(QStringLiteral("api.example.com"));
    daily.dailyMsat = 100'000;
    QVERIFY(wallet.book().saveRule(daily).ok());
    wallet.settled(kApi.toString(), 80'000, 1'000);
    // 81 used: a 15 sat payment with a 10 sat reserve does not fit today...
    auto today = wallet.book().evaluate(kApi, {}, 15'000, 10'000);
    QVERIFY(today.ok());
    QVERIFY(today->refusal.has_value());
    QCOMPARE(today->refusal->code, QStringLiteral("budget_exceeded"));
    QCOMPARE(today->usage.dayMsat, 81'000);
    // ...one second before local midnight still today...
    clock.set(at("2026-07-15T23:59:59", berlin));
    QVERIFY(wallet.book().evaluate(kApi, {}, 15'000, 10'000)->refusal.has_value());
    // ...and fits at midnight Berlin time (22:00 UTC), not at midnight UTC.
    clock.set(at("2026-07-16T00:00:00", berlin));
    auto tomorrow = wallet.book().evaluate(kApi, {}, 15'000, 10'000);
    QVERIFY(!tomorrow->refusal.has_value());
    QCOMPARE(tomorrow->usage.dayMsat, 0);
    QCOMPARE(tomorrow->windows.day.end, at("2026-07-17T00:00:00", berlin));
}

void BudgetTest::weeklyBudgetRenewsOnMonday()
{
    const QTimeZone zone("America/New_York");
    ManualClock clock(at("2026-11-16T00:00:00", zone)); // a Monday
    Wallet wallet(clock, zone);
    QVERIFY(wallet.ok());
    BudgetRule weekly = rule(QStringLiteral("*"));
    weekly.weeklyMsat = 50'000;
    QVERIFY(wallet.book().saveRule(weekly).ok());
    wallet.settled(kApi.toString(), 40'000, 0);
    clock.set(at("2026-11-22T23:59:59", zone)); // Sunday night
    auto sunday = wallet.book().evaluate(kApi, {}, 5'000, 10'000);
    QCOMPARE(sunday->usage.weekMsat, 40'000);
    QVERIFY(sunday->refusal.has_value());
    clock.set(at("2026-11-23T00:00:00", zone)); // Monday
    auto monday = wallet.book().evaluate(kApi, {}, 5'000, 10'000);
    QCOMPARE(monday->usage.weekMsat, 0);
    QVERIFY(!monday->refusal.has_value());
}

void BudgetTest::monthlyBudgetRenewsOnTheFirst()
{
    const QTimeZone zone("Asia/Tokyo");
    ManualClock clock(at("2026-01-31T12:00:00", zone));
    Wallet wallet(clock, zone);
    QVERIFY(wallet.ok());
    BudgetRule monthly = rule(QStringLiteral("*.example.com"));
    monthly.monthlyMsat = 1'000'000;
    QVERIFY(wallet.book().saveRule(monthly).ok());
    wallet.settled(kApi.toString(), 995'000, 0);
    clock.set(at("2026-01-31T23:59:59", zone));
    QVERIFY(wallet.book().evaluate(kApi, {}, 1'000, 10'000)->refusal.has_value());
    clock.set(at("2026-02-01T00:00:00", zone));
    auto february = wallet.book().evaluate(kApi, {}, 1'000, 10'000);
    QCOMPARE(february->usage.monthMsat, 0);
    QVERIFY(!february->refusal.has_value());
    QCOMPARE(february->windows.month.end, at("2026-03-01T00:00:00", zone));
}

void BudgetTest::dstDayIsTwentyThreeHoursLong()
{
    // Europe/Berlin springs forward on 2026-03-29 at 02:00 -> 03:00.
    const QTimeZone berlin("Europe/Berlin");
    ManualClock clock(at("2026-03-29T12:00:00", berlin));
    const Windows windows = windowsAt(clock.now(), berlin);
    QCOMPARE(windows.day.start.secsTo(windows.day.end), 23 * 3600);
    // And falls back on 2026-10-25: a 25-hour day.
    const Windows autumn = windowsAt(at("2026-10-25T12:00:00", berlin), berlin);
    QCOMPARE(autumn.day.start.secsTo(autumn.day.end), 25 * 3600);

    Wallet wallet(clock, berlin);
    QVERIFY(wallet.ok());
    BudgetRule daily = rule(QStringLiteral("*"));
    daily.dailyMsat = 50'000;
    QVERIFY(wallet.book().saveRule(daily).ok());
    clock.set(at("2026-03-29T00:30:00", berlin)); // before the change, same day
    wallet.settled(kApi.toString(), 45'000, 0);
    clock.set(at("2026-03-29T23:30:00", berlin));
    QCOMPARE(wallet.book().evaluate(kApi, {}, 1, 0)->usage.dayMsat, 45'000);
    clock.set(at("2026-03-30T00:00:00", berlin));
    QCOMPARE(wallet.book().evaluate(kApi, {}, 1, 0)->usage.dayMsat, 0);
}

void BudgetTest::pendingPaymentsAndFeeReserveCount()
{
    ManualClock clock;
    Wallet wallet(clock, QTimeZone::utc());
    QVERIFY(wallet.ok());
    BudgetRule daily = rule(QStringLiteral("*"));
    daily.dailyMsat = 100'000;
    QVERIFY(wallet.book().saveRule(daily).ok());
    // A pending payment counts amount + its whole fee limit; a settled one its real fee;
    // a failed one nothing; an unlinked reservation its amount + reserve.
    const int64_t pendingId = wallet.pending(kApi.toString(), 20'000, 10'000);
    QVERIFY(pendingId > 0);
    wallet.settled(kApi.toString(), 30'000, 500);
    const int64_t failedId = wallet.pending(kApi.toString(), 40'000, 10'000);
    QVERIFY(wallet.store().ledger().markFailed(failedId, QStringLiteral("no_route"), {}).ok());
    auto reservation = wallet.book().reserve(kApi, {}, 5'000, 1'000);
    QVERIFY(reservation.ok());
    auto verdict = wallet.book().evaluate(kApi, {}, 1, 0);
    QCOMPARE(verdict->usage.dayMsat, 30'000 + 30'500 + 6'000);
    // Linked to its payment, the reservation is counted once, through the payment.
    QVERIFY(wallet.book().linkReservation(reservation.value(), pendingId).ok());
    QCOMPARE(wallet.book().evaluate(kApi, {}, 1, 0)->usage.dayMsat, 30'000 + 30'500);
    // The check uses amount + reserve: 39.5 sat left, so 30 sat + 10 sat reserve is refused.
    QVERIFY(wallet.book().evaluate(kApi, {}, 30'000, 10'000)->refusal.has_value());
    QVERIFY(!wallet.book().evaluate(kApi, {}, 29'000, 10'000)->refusal.has_value());
}

void BudgetTest::mostSpecificRuleDecidesAskButNotLimits()
{
    ManualClock clock;
    Wallet wallet(clock, QTimeZone::utc());
    QVERIFY(wallet.ok());
    QVERIFY(wallet.book().saveRule(rule(QStringLiteral("*.example.com"), Mode::Ask)).ok());
    QVERIFY(wallet.book().saveRule(rule(QStringLiteral("api.example.com"), Mode::Auto)).ok());
    QVERIFY(wallet.book().saveRule(rule(QStringLiteral("api.example.com:8443"), Mode::Block)).ok());
    auto verdictFor = [&](const char* origin) {
        return wallet.book()
            .evaluate(Origin::parse(QString::fromLatin1(origin)).value(), {}, 1, 0)
            .value();
    };
    QCOMPARE(verdictFor("https://api.example.com").rule.mode, Mode::Auto);
    QVERIFY(!verdictFor("https://api.example.com").refusal);
    QCOMPARE(verdictFor("https://api.example.com:8443").refusal->code,
             QStringLiteral("site_blocked"));
    QCOMPARE(verdictFor("https://www.example.com").rule.mode, Mode::Ask);
    QCOMPARE(verdictFor("https://api.example.com").heldTo.size(), 2); // api and *.example.com
    // A block for every site is never lifted by a more specific auto (DESIGN §3.7).
    QVERIFY(wallet.book().saveRule(rule(QStringLiteral("*"), Mode::Block)).ok());
    QCOMPARE(verdictFor("https://api.example.com").refusal->code, QStringLiteral("site_blocked"));
    QVERIFY(
        verdictFor("https://api.example.com").refusal->message.contains(QStringLiteral("\"*\"")));
    // With no rules at all, the built-in default asks.
    ManualClock clock2;
    Wallet empty(clock2, QTimeZone::utc());
    auto verdict = empty.book().evaluate(kApi, {}, 1, 0);
    QVERIFY(verdict->builtInDefault);
    QCOMPARE(verdict->rule.mode, Mode::Ask);
}

namespace {

// "pattern|agent|mode|daily sat|max-payment sat|ask-above sat"; empty fields: none.
BudgetRule ruleFrom(const QString& text)
{
    const QStringList f = text.split(u'|');
    BudgetRule r;
    r.pattern = f.value(0);
    r.agent = f.value(1);
    r.mode = modeFromName(f.value(2)).value_or(Mode::Auto);
    if (!f.value(3).isEmpty()) {
        r.dailyMsat = f.value(3).toLongLong() * 1000;
    }
    if (!f.value(4).isEmpty()) {
        r.maxPaymentMsat = f.value(4).toLongLong() * 1000;
    }
    if (!f.value(5).isEmpty()) {
        r.askAboveMsat = f.value(5).toLongLong() * 1000;
    }
    return r;
}

} // namespace

void BudgetTest::combinations_data()
{
    QTest::addColumn<QStringList>("rules");
    QTest::addColumn<int>("spentTodaySat"); // by the paying agent at the paid origin
    QTest::addColumn<QString>("origin");
    QTest::addColumn<QString>("agent");
    QTest::addColumn<int>("amountSat");
    QTest::addColumn<QString>("expected");  // auto, ask, or the refusal code
    QTest::addColumn<QString>("refusedBy"); // the rule a refusal names

    const QString api = QStringLiteral("https://api.example.com");
    const QString other = QStringLiteral("https://other.org");
    auto row = [&](const char* name, std::initializer_list<const char*> rules, int spent,
                   const QString& origin, const char* agent, int amount, const char* expected,
                   const char* refusedBy = "") {
        QStringList texts;
        for (const char* text : rules) {
            texts << QString::fromUtf8(text);
        }
        QTest::newRow(name) << texts << spent << origin << QString::fromUtf8(agent) << amount
                            << QString::fromLatin1(expected) << QString::fromUtf8(refusedBy);
    };
    // The case: an agent's cap is not lifted by a site rule in auto.
    row("agent cap, site auto", {"*|mallory|auto|20|", "api.example.com||auto||"}, 20, api,
        "mallory", 1, "budget_exceeded", "\"*\" (agent mallory)");
    row("agent cap with room", {"*|mallory|auto|20|", "api.example.com||auto||"}, 10, api,
        "mallory", 5, "auto");
    row("agent block, site auto", {"*|blocked|block||", "api.example.com||auto||"}, 0, api,
        "blocked", 1, "site_blocked", "\"*\" (agent blocked)");
    row("another agent is not held to it", {"*|mallory|auto|20|", "api.example.com||auto||"}, 500,
        api, "alice", 50, "auto");
    row("site cap holds an agent rule in auto", {"api.example.com||auto|100|", "*|bob|auto||"}, 100,
        api, "bob", 1, "budget_exceeded", "\"api.example.com\"");
    row("site max-payment under an agent's bigger one",
        {"api.example.com||auto||10", "*|bob|auto||1000"}, 0, api, "bob", 11, "over_max_payment",
        "\"api.example.com\"");
    row("agent max-payment under a site's bigger one",
        {"api.example.com||auto||1000", "*|bob|auto||10"}, 0, api, "bob", 11, "over_max_payment",
        "\"*\" (agent bob)");
    row("site block, agent auto", {"api.example.com||block||", "api.example.com|bob|auto||"}, 0,
        api, "bob", 1, "site_blocked", "\"api.example.com\"");
    row("wildcard block, exact auto", {"*||block||", "api.example.com||auto||"}, 0, api, "bob", 1,
        "site_blocked", "\"*\"");
    row("wildcard block elsewhere only", {"*.example.com||block||", "other.org||auto||"}, 0, other,
        "bob", 1, "auto");
    row("agent ask, site auto", {"*|carol|ask||", "api.example.com||auto||"}, 0, api, "carol", 1,
        "ask");
    row("agent ask-above, site auto", {"*|carol|auto|||5", "api.example.com||auto||"}, 0, api,
        "carol", 10, "ask");
    row("agent ask-above, under it", {"*|carol|auto|||5", "api.example.com||auto||"}, 0, api,
        "carol", 5, "auto");
    row("site ask, agent auto: the site's more specific",
        {"api.example.com||ask||", "*|dave|auto||"}, 0, api, "dave", 1, "ask");
    row("exact agent rule decides ask", {"api.example.com||auto||", "api.example.com|dave|ask||"},
        0, api, "dave", 1, "ask");
    row("both caps, the tighter refuses",
        {"*.example.com||auto|50|", "api.example.com|erin|auto|30|"}, 25, api, "erin", 10,
        "budget_exceeded", "\"api.example.com\" (agent erin)");
    row("both caps with room", {"*.example.com||auto|50|", "api.example.com|erin|auto|30|"}, 15,
        api, "erin", 10, "auto");
    row("windows on each side: site daily", {"*||auto|40|", "*|frank|auto|1000|"}, 35, other,
        "frank", 10, "budget_exceeded", "\"*\"");
    row("no rule: the default asks", {}, 0, api, "gina", 1, "ask");
}

void BudgetTest::combinations()
{
    QFETCH(QStringList, rules);
    QFETCH(int, spentTodaySat);
    QFETCH(QString, origin);
    QFETCH(QString, agent);
    QFETCH(int, amountSat);
    QFETCH(QString, expected);
    QFETCH(QString, refusedBy);
    ManualClock clock;
    Wallet wallet(clock, QTimeZone::utc());
    QVERIFY(wallet.ok());
    for (const QString& text : rules) {
        QVERIFY2(wallet.book().saveRule(ruleFrom(text)).ok(), qPrintable(text));
    }
    if (spentTodaySat > 0) {
        wallet.settled(origin, int64_t(spentTodaySat) * 1000, 0, agent);
    }
    const Origin paid = Origin::parse(origin).value();
    auto verdict = wallet.book().evaluate(paid, agent, int64_t(amountSat) * 1000, 0);
    QVERIFY(verdict.ok());
    const QString got = verdict->refusal ? verdict->refusal->code
                        : verdict->needsApproval(int64_t(amountSat) * 1000)
                            ? QStringLiteral("ask")
                            : QStringLiteral("auto");
    QCOMPARE(got, expected);
    if (verdict->refusal) {
        QCOMPARE(verdict->refusedBy->label(), refusedBy);
        QVERIFY2(verdict->refusal->message.contains(refusedBy),
                 qPrintable(verdict->refusal->message));
    }
    // The atomic step agrees with the check.
    auto reserved = wallet.book().reserve(paid, agent, int64_t(amountSat) * 1000, 0);
    QCOMPARE(reserved.ok(), !verdict->refusal.has_value());
    if (!reserved) {
        QCOMPARE(reserved.error().code, expected);
    }
}

void BudgetTest::randomRulesNeverLetAnyCapBeExceeded()
{
    // Random rule sets and random payment sequences from several agents at several sites:
    // whatever is reserved, no matching rule's daily cap, per-payment maximum or block is
    // ever broken. Seeded, so a failure names its case.
    const QStringList patterns{QStringLiteral("*"), QStringLiteral("*.example.com"),
                               QStringLiteral("api.example.com"),
                               QStringLiteral("api.example.com:8443"), QStringLiteral("other.org")};
    const QStringList agents{QString(), QStringLiteral("a"), QStringLiteral("b"),
                             QStringLiteral("c")};
    const QList<Origin> origins{
        Origin::parse(QStringLiteral("https://api.example.com")).value(),
        Origin::parse(QStringLiteral("https://api.example.com:8443")).value(),
        Origin::parse(QStringLiteral("https://www.example.com")).value(),
        Origin::parse(QStringLiteral("https://other.org")).value()};
    for (quint32 seed = 1; seed <= 40; ++seed) {
        QRandomGenerator random(seed);
        ManualClock clock;
        Wallet wallet(clock, QTimeZone::utc());
        QVERIFY(wallet.ok());
        const int ruleCount = 1 + random.bounded(6);
        for (int i = 0; i < ruleCount; ++i) {
            BudgetRule r;
            r.pattern = patterns.at(random.bounded(patterns.size()));
            r.agent = agents.at(random.bounded(agents.size()));
            r.mode = random.bounded(6) == 0 ? Mode::Block : Mode::Auto;
            if (random.bounded(2)) {
                r.dailyMsat = int64_t(random.bounded(1, 200)) * 1000;
            }
            if (random.bounded(3) == 0) {
                r.maxPaymentMsat = int64_t(random.bounded(1, 40)) * 1000;
            }
            QVERIFY(wallet.book().saveRule(r).ok());
        }
        struct Accepted {
            Origin origin;
            QString agent;
            int64_t cost;
            int64_t amount;
        };
        QList<Accepted> accepted;
        for (int i = 0; i < 120; ++i) {
            const Origin& origin = origins.at(random.bounded(origins.size()));
            const QString agent = agents.at(1 + random.bounded(agents.size() - 1));
            const int64_t amount = int64_t(random.bounded(1, 50)) * 1000;
            const int64_t fee = int64_t(random.bounded(0, 3)) * 1000;
            if (wallet.book().reserve(origin, agent, amount, fee)) {
                accepted.append({origin, agent, amount + fee, amount});
            }
        }
        auto rules = wallet.book().rules();
        QVERIFY(rules.ok());
        for (const BudgetRule& r : rules.value()) {
            const HostPattern pattern = HostPattern::parse(r.pattern).value();
            int64_t used = 0;
            for (const Accepted& a : std::as_const(accepted)) {
                if (!pattern.matches(a.origin) || (!r.agent.isEmpty() && a.agent != r.agent)) {
                    continue;
                }
                QVERIFY2(r.mode != Mode::Block, qPrintable(QStringLiteral("seed %1: %2 paid past "
                                                                          "a block")
                                                               .arg(seed)
                                                               .arg(r.label())));
                QVERIFY2(!r.maxPaymentMsat || a.amount <= *r.maxPaymentMsat,
                         qPrintable(QStringLiteral("seed %1: %2").arg(seed).arg(r.label())));
                used += a.cost;
            }
            QVERIFY2(!r.dailyMsat || used <= *r.dailyMsat,
                     qPrintable(QStringLiteral("seed %1: %2 holds %3 msat of %4")
                                    .arg(seed)
                                    .arg(r.label())
                                    .arg(used)
                                    .arg(r.dailyMsat.value_or(0))));
        }
    }
}

void BudgetTest::editsKeepWhatTheyDoNotName()
{
    ManualClock clock;
    Wallet wallet(clock, QTimeZone::utc());
    QVERIFY(wallet.ok());
    RuleEdit first;
    first.pattern = QStringLiteral("*");
    first.dailyMsat = std::optional<int64_t>(5'000'000);
    first.maxPaymentMsat = std::optional<int64_t>(100'000);
    QVERIFY(wallet.book().editRule(first).ok());
    // `budget set '*' --mode ask` keeps the daily cap and the maximum.
    RuleEdit mode;
    mode.pattern = QStringLiteral("*");
    mode.mode = Mode::Ask;
    auto edited = wallet.book().editRule(mode);
    QVERIFY(edited.ok());
    QCOMPARE(edited->mode, Mode::Ask);
    QCOMPARE(edited->dailyMsat.value_or(0), 5'000'000);
    QCOMPARE(edited->maxPaymentMsat.value_or(0), 100'000);
    // --clear-daily removes only that.
    RuleEdit clear;
    clear.pattern = QStringLiteral("*");
    clear.dailyMsat = std::optional<int64_t>();
    edited = wallet.book().editRule(clear);
    QVERIFY(!edited->dailyMsat);
    QCOMPARE(edited->maxPaymentMsat.value_or(0), 100'000);
    QCOMPARE(edited->mode, Mode::Ask);
    QCOMPARE(wallet.book().rules()->size(), 1);
    // Amounts from text: checked.
    QVERIFY(parseSatsAsMsat(u"21", QStringLiteral("--daily")).value() == 21'000);
    // The largest is all the bitcoin there will ever be; the overflows are refused
    // (9223372036854775807 overflowed, 18446744073709552 wrapped to 384 msat in release).
    QCOMPARE(parseSatsAsMsat(u"2100000000000000", QStringLiteral("--daily")).value(),
             2'100'000'000'000'000'000);
    for (const char* bad :
         {"-1", "1.5", " 2", "", "+5", "1e3", "9223372036854776", "99999999999999999999",
          "9223372036854775807", "18446744073709552", "2100000000000001"}) {
        QCOMPARE(parseSatsAsMsat(QString::fromLatin1(bad), QStringLiteral("--daily")).error().code,
                 QStringLiteral("invalid_amount"));
    }
}

void BudgetTest::paymentRates()
{
    ManualClock clock;
    Wallet wallet(clock, QTimeZone::utc());
    QVERIFY(wallet.ok());
    QCOMPARE(PaymentRate::parse(u"3/min").value(), (PaymentRate{3, 60}));
    QCOMPARE(PaymentRate::parse(u"10/h").value(), (PaymentRate{10, 3600}));
    QCOMPARE(PaymentRate::parse(u"1/day").value(), (PaymentRate{1, 86400}));
    for (const char* bad :
         {"0/min", "3", "3/week", "-1/h", "/h", "3/ min", "99999999999999999999/h"}) {
        QCOMPARE(PaymentRate::parse(QString::fromLatin1(bad)).error().code,
                 QStringLiteral("invalid_rate"));
    }
    RuleEdit edit;
    edit.pattern = QStringLiteral("api.example.com");
    edit.agent = QStringLiteral("bot");
    edit.maxRate = std::optional<PaymentRate>(PaymentRate{3, 60});
    QVERIFY(wallet.book().editRule(edit).ok());
    for (int i = 0; i < 3; ++i) {
        QVERIFY(wallet.book().reserve(kApi, QStringLiteral("bot"), 1'000, 0).ok());
        clock.advance(5);
    }
    auto fourth = wallet.book().reserve(kApi, QStringLiteral("bot"), 1'000, 0);
    QCOMPARE(fourth.error().code, QStringLiteral("rate_limited"));
    QVERIFY(fourth.error().message.contains(QStringLiteral("3/min")));
    // Another agent is not counted; a minute after the first, one more fits.
    QVERIFY(wallet.book().reserve(kApi, QStringLiteral("other"), 1'000, 0).ok());
    clock.advance(46);
    QVERIFY(wallet.book().reserve(kApi, QStringLiteral("bot"), 1'000, 0).ok());
    QCOMPARE(wallet.book().reserve(kApi, QStringLiteral("bot"), 1'000, 0).error().code,
             QStringLiteral("rate_limited"));
    // The rule survives a reload with its rate.
    auto rules = wallet.book().rules();
    QCOMPARE(rules->first().maxRate.value(), (PaymentRate{3, 60}));
}

void BudgetTest::perAgentRules()
{
    ManualClock clock;
    Wallet wallet(clock, QTimeZone::utc());
    QVERIFY(wallet.ok());
    BudgetRule everyone = rule(QStringLiteral("api.example.com"));
    everyone.dailyMsat = 1'000'000;
    QVERIFY(wallet.book().saveRule(everyone).ok());
    BudgetRule alice = rule(QStringLiteral("api.example.com"));
    alice.agent = QStringLiteral("alice");
    alice.dailyMsat = 50'000;
    QVERIFY(wallet.book().saveRule(alice).ok());
    wallet.settled(kApi.toString(), 40'000, 0, QStringLiteral("alice"));
    wallet.settled(kApi.toString(), 500'000, 0, QStringLiteral("bob"));
    // Alice's own rule counts only her payments.
    auto forAlice = wallet.book().evaluate(kApi, QStringLiteral("alice"), 5'000, 10'000);
    QCOMPARE(forAlice->rule.agent, QStringLiteral("alice"));
    QCOMPARE(forAlice->usage.dayMsat, 40'000);
    QVERIFY(forAlice->refusal.has_value());
    // Bob falls under the rule for everyone, which counts every agent.
    auto forBob = wallet.book().evaluate(kApi, QStringLiteral("bob"), 5'000, 10'000);
    QVERIFY(forBob->rule.agent.isEmpty());
    QCOMPARE(forBob->usage.dayMsat, 540'000);
    QVERIFY(!forBob->refusal.has_value());
}

void BudgetTest::approvalThresholds()
{
    BudgetRule autoRule = rule(QStringLiteral("*"), Mode::Auto);
    QVERIFY(!autoRule.needsApproval(1'000'000'000));
    autoRule.askAboveMsat = 100'000;
    QVERIFY(!autoRule.needsApproval(100'000));
    QVERIFY(autoRule.needsApproval(100'001));
    BudgetRule ask = rule(QStringLiteral("*"), Mode::Ask);
    QVERIFY(ask.needsApproval(1));
    ask.askAboveMsat = 5'000;
    QVERIFY(!ask.needsApproval(5'000));
    QVERIFY(ask.needsApproval(5'001));
    QVERIFY(!rule(QStringLiteral("*"), Mode::Block).needsApproval(1)); // refused, not asked
}

void BudgetTest::rulesAreReplacedAndRemoved()
{
    ManualClock clock;
    Wallet wallet(clock, QTimeZone::utc());
    QVERIFY(wallet.ok());
    BudgetRule r = rule(QStringLiteral("API.example.com"));
    r.dailyMsat = 10;
    auto id = wallet.book().saveRule(r);
    QVERIFY(id.ok());
    QVERIFY(wallet.book().reserve(kApi, {}, 1, 1).ok()); // a reservation names the rule
    r.dailyMsat = 20;
    QCOMPARE(wallet.book().saveRule(r).value(), id.value()); // same rule, updated in place
    auto rules = wallet.book().rules();
    QCOMPARE(rules->size(), 1);
    QCOMPARE(rules->first().pattern, QStringLiteral("api.example.com"));
    QCOMPARE(rules->first().dailyMsat.value_or(0), 20);
    QVERIFY(wallet.book().removeRule(QStringLiteral("api.example.com"), {}).value());
    QVERIFY(!wallet.book().removeRule(QStringLiteral("api.example.com"), {}).value());
    QVERIFY(wallet.book().rules()->isEmpty());
    BudgetRule negative = rule(QStringLiteral("*"));
    negative.dailyMsat = -1;
    QCOMPARE(wallet.book().saveRule(negative).error().code, QStringLiteral("invalid_amount"));
    QCOMPARE(wallet.book().saveRule(rule(QStringLiteral("not a host"))).error().code,
             QStringLiteral("invalid_pattern"));
}

QTEST_GUILESS_MAIN(BudgetTest)
#include "BudgetTest.moc"
