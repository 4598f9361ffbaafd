#pragma once

#include "core/store/SecretStore.h"

#include <QHash>
#include <QTimer>

namespace l402::test {

// An in-memory keychain that can be told to refuse, to have no backend, or to never answer
// (the real SecretStore contract: the callback comes later, on the event loop).
class FakeSecretStore final : public store::SecretStore {
public:
    enum class Behaviour { Works, NoBackend, Denies, NeverAnswers };
    Behaviour behaviour = Behaviour::Works;
    QHash<QString, QByteArray> entries;
    int calls = 0;

    void read(const QString& key, std::function<void(Result<QByteArray>)> done) override
    {
        ++calls;
        later([this, key, done] {
            if (auto error = failure()) {
                done(Result<QByteArray>(*error));
            } else if (!entries.contains(key)) {
                done(Result<QByteArray>::failure(QLatin1String(store::secret_error::kNotFound),
                                                 QStringLiteral("No entry.")));
            } else {
                done(entries.value(key));
            }
        });
    }
    void write(const QString& key, const QByteArray& secret,
               std::function<void(Status)> done) override
    {
        ++calls;
        later([this, key, secret, done] {
            if (auto error = failure()) {
                done(Status(*error));
                return;
            }
            entries.insert(key, secret);
            done(success());
        });
    }
    void remove(const QString& key, std::function<void(Status)> done) override
    {
        ++calls;
        later([this, key, done] {
            entries.remove(key);
            done(success());
        });
    }

private:
    std::optional<Error> failure() const
    {
        switch (behaviour) {
        case Behaviour::NoBackend:
            return Error{QLatin1String(store::secret_error::kUnavailable),
                         QStringLiteral("No keychain is available (test).")};
        case Behaviour::Denies:
            return Error{QLatin1String(store::secret_error::kDenied),
                         QStringLiteral("The keychain refused access (test).")};
        default:
            return std::nullopt;
        }
    }
    template <typename F> void later(F f)
    {
        if (behaviour != Behaviour::NeverAnswers) {
            QTimer::singleShot(0, &m_context, f);
        }
    }
    QObject m_context;
};

} // namespace l402::test
