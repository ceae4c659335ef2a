#pragma once

#include <gst/gst.h>

#include <memory>

// Owning handles for the GLib and GStreamer objects the audio part keeps: each releases its
// object the way GStreamer asks (unref, g_free, g_error_free).
namespace loa::audio::gst {

struct ObjectUnref {
    void operator()(gpointer object) const { gst_object_unref(object); }
};
struct SampleUnref {
    void operator()(GstSample* s) const { gst_sample_unref(s); }
};
struct MessageUnref {
    void operator()(GstMessage* m) const { gst_message_unref(m); }
};
struct CapsUnref {
    void operator()(GstCaps* c) const { gst_caps_unref(c); }
};
struct ErrorFree {
    void operator()(GError* e) const { g_error_free(e); }
};
struct GFree {
    void operator()(gchar* p) const { g_free(p); }
};

template <class T>
using ObjectPtr = std::unique_ptr<T, ObjectUnref>;
using SamplePtr = std::unique_ptr<GstSample, SampleUnref>;
using MessagePtr = std::unique_ptr<GstMessage, MessageUnref>;
using CapsPtr = std::unique_ptr<GstCaps, CapsUnref>;
using ErrorPtr = std::unique_ptr<GError, ErrorFree>;
using TextPtr = std::unique_ptr<gchar, GFree>;

}  // namespace loa::audio::gst
