// Clang thread-safety analysis attributes (-Wthread-safety), as LevelDB and
// Abseil spell them: a member written `GUARDED_BY(mutex_)` may be touched only
// with mutex_ held, a function marked `REQUIRES(mutex_)` only by a caller that
// holds it, `EXCLUDES(mutex_)` only by one that does not. The compiler checks
// them when it is clang (CMake adds -Wthread-safety there, and scripts/
// thread_safety.sh builds everything with it); with gcc they expand to nothing
// and stay documentation.
//
// Use them with base::Mutex / base::MutexLock (base/mutex.h): std::mutex
// carries no capability attributes in libstdc++, so a lock_guard over it is
// invisible to the analysis.
#pragma once

#if defined(__clang__)
#define CHARGELOCK_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define CHARGELOCK_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(name) CHARGELOCK_THREAD_ANNOTATION(capability(name))
#define SCOPED_CAPABILITY CHARGELOCK_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) CHARGELOCK_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) CHARGELOCK_THREAD_ANNOTATION(pt_guarded_by(x))
#define REQUIRES(...) CHARGELOCK_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) CHARGELOCK_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) CHARGELOCK_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) CHARGELOCK_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) CHARGELOCK_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define ASSERT_CAPABILITY(x) CHARGELOCK_THREAD_ANNOTATION(assert_capability(x))
#define RETURN_CAPABILITY(x) CHARGELOCK_THREAD_ANNOTATION(lock_returned(x))
#define NO_THREAD_SAFETY_ANALYSIS CHARGELOCK_THREAD_ANNOTATION(no_thread_safety_analysis)
