#pragma once

#include <QDateTime>

namespace l402 {

// Time comes from here, never from QDateTime::currentDateTime() in logic, so budgets, expiry
// and approval timeouts can be tested at exact boundaries (tests/support/ManualClock.h).
class Clock {
public:
    virtual ~Clock() = default;
    virtual QDateTime now() const = 0;
    qint64 nowSeconds() const { return now().toSecsSinceEpoch(); }
};

class SystemClock final : public Clock {
public:
    QDateTime now() const override { return QDateTime::currentDateTimeUtc(); }
    static const SystemClock& instance()
    {
        static const SystemClock clock;
        return clock;
    }
};

} // namespace l402
