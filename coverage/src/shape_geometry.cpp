#include "shape_geometry.hpp"

#include <fmt/format.h>

#include <cmath>
#include <memory>

namespace loa::coverage {

namespace {

struct WktReaderDeleter {
    GEOSContextHandle_t handle = nullptr;
    void operator()(GEOSWKTReader* r) const { GEOSWKTReader_destroy_r(handle, r); }
};

Ring read_ring(GeosContext& geos, const GEOSGeometry* ring) {
    Ring out;
    const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(geos.handle(), ring);
    unsigned int size = 0;
    if (seq == nullptr || GEOSCoordSeq_getSize_r(geos.handle(), seq, &size) == 0) {
        return out;
    }
    out.reserve(size);
    for (unsigned int i = 0; i < size; ++i) {
        LonLat p;
        GEOSCoordSeq_getXY_r(geos.handle(), seq, i, &p.lon, &p.lat);
        out.push_back(p);
    }
    return out;
}

Polygon read_polygon(GeosContext& geos, const GEOSGeometry* g) {
    Polygon polygon;
    polygon.outer = read_ring(geos, GEOSGetExteriorRing_r(geos.handle(), g));
    const int holes = GEOSGetNumInteriorRings_r(geos.handle(), g);
    for (int i = 0; i < holes; ++i) {
        polygon.holes.push_back(read_ring(geos, GEOSGetInteriorRingN_r(geos.handle(), g, i)));
    }
    return polygon;
}

bool in_range(LonLat p) {
    return std::isfinite(p.lon) && std::isfinite(p.lat) && p.lon >= -180.0 && p.lon <= 180.0 &&
           p.lat >= -90.0 && p.lat <= 90.0;
}

std::string ring_problem(const Ring& ring, const std::string& what) {
    if (ring.size() < 4) {
        return what + " has " + std::to_string(ring.size()) + " positions, at least 4 are needed";
    }
    for (const LonLat& p : ring) {
        if (!in_range(p)) {
            return fmt::format("{} has a position ({}, {}) out of range", what, p.lon, p.lat);
        }
    }
    if (!(ring.front() == ring.back())) {
        return what + " is not closed (its last position is not its first)";
    }
    return {};
}

GEOSGeometry* lonlat_ring(const GeosContext& geos, const Ring& ring) {
    std::vector<double> xy;
    xy.reserve(ring.size() * 2);
    for (const LonLat& p : ring) {
        xy.push_back(p.lon);
        xy.push_back(p.lat);
    }
    GEOSCoordSequence* seq = GEOSCoordSeq_copyFromBuffer_r(
        geos.handle(), xy.data(), static_cast<unsigned int>(ring.size()), 0, 0);
    return GEOSGeom_createLinearRing_r(geos.handle(), seq);
}

template <class RingFn>
GeomPtr make_polygons(const GeosContext& geos, const std::vector<Polygon>& polygons, RingFn ring) {
    std::vector<GEOSGeometry*> parts;
    parts.reserve(polygons.size());
    for (const Polygon& polygon : polygons) {
        GEOSGeometry* shell = ring(polygon.outer);
        std::vector<GEOSGeometry*> holes;
        holes.reserve(polygon.holes.size());
        for (const Ring& hole : polygon.holes) {
            holes.push_back(ring(hole));
        }
        parts.push_back(GEOSGeom_createPolygon_r(geos.handle(), shell, holes.data(),
                                                 static_cast<unsigned int>(holes.size())));
    }
    if (parts.size() == 1) {
        return geos.own(parts.front());
    }
    return geos.own(GEOSGeom_createCollection_r(geos.handle(), GEOS_MULTIPOLYGON, parts.data(),
                                                static_cast<unsigned int>(parts.size())));
}

void append_ring(std::string& out, const Ring& ring) {
    out += '(';
    for (std::size_t i = 0; i < ring.size(); ++i) {
        if (i > 0) {
            out += ", ";
        }
        out += fmt::format("{:.7f} {:.7f}", ring[i].lon, ring[i].lat);
    }
    out += ')';
}

void append_polygon(std::string& out, const Polygon& polygon) {
    out += '(';
    append_ring(out, polygon.outer);
    for (const Ring& hole : polygon.holes) {
        out += ", ";
        append_ring(out, hole);
    }
    out += ')';
}

}  // namespace

Result<AreaShape> shape_from_wkt(GeosContext& geos, std::string_view wkt) {
    std::unique_ptr<GEOSWKTReader, WktReaderDeleter> reader{GEOSWKTReader_create_r(geos.handle()),
                                                            WktReaderDeleter{geos.handle()}};
    const std::string text{wkt};
    GeomPtr g = geos.own(GEOSWKTReader_read_r(geos.handle(), reader.get(), text.c_str()));
    if (!g) {
        return Error{"wkt is not valid WKT: " + geos.last_error()};
    }
    const int type = GEOSGeomTypeId_r(geos.handle(), g.get());
    if (GEOSisEmpty_r(geos.handle(), g.get()) == 1) {
        return Error{"wkt is an empty geometry"};
    }
    switch (type) {
        case GEOS_POINT: {
            LonLat p;
            GEOSGeomGetX_r(geos.handle(), g.get(), &p.lon);
            GEOSGeomGetY_r(geos.handle(), g.get(), &p.lat);
            return AreaShape{p};
        }
        case GEOS_POLYGON:
            return AreaShape{std::vector<Polygon>{read_polygon(geos, g.get())}};
        case GEOS_MULTIPOLYGON: {
            std::vector<Polygon> polygons;
            const int n = GEOSGetNumGeometries_r(geos.handle(), g.get());
            for (int i = 0; i < n; ++i) {
                polygons.push_back(
                    read_polygon(geos, GEOSGetGeometryN_r(geos.handle(), g.get(), i)));
            }
            return AreaShape{std::move(polygons)};
        }
        default: {
            char* name = GEOSGeomType_r(geos.handle(), g.get());
            std::string type_name = name != nullptr ? name : "geometry";
            GEOSFree_r(geos.handle(), name);
            return Error{"wkt is a " + type_name + ", not a POINT, POLYGON or MULTIPOLYGON"};
        }
    }
}

std::string shape_problem(GeosContext& geos, const AreaShape& shape) {
    if (const auto* p = std::get_if<LonLat>(&shape)) {
        if (!std::isfinite(p->lon) || p->lon < -180.0 || p->lon > 180.0) {
            return fmt::format("lon {} is not a longitude in [-180, 180]", p->lon);
        }
        if (!std::isfinite(p->lat) || p->lat < -90.0 || p->lat > 90.0) {
            return fmt::format("lat {} is not a latitude in [-90, 90]", p->lat);
        }
        return {};
    }
    const auto& polygons = std::get<std::vector<Polygon>>(shape);
    if (polygons.empty()) {
        return "the shape has no polygon";
    }
    for (std::size_t i = 0; i < polygons.size(); ++i) {
        const std::string which =
            polygons.size() == 1 ? std::string{"polygon"} : fmt::format("polygon {}", i + 1);
        if (auto problem = ring_problem(polygons[i].outer, which + " outer ring");
            !problem.empty()) {
            return problem;
        }
        for (std::size_t h = 0; h < polygons[i].holes.size(); ++h) {
            auto problem =
                ring_problem(polygons[i].holes[h], fmt::format("{} hole {}", which, h + 1));
            if (!problem.empty()) {
                return problem;
            }
        }
    }
    GeomPtr g = make_polygons(geos, polygons,
                              [&geos](const Ring& ring) { return lonlat_ring(geos, ring); });
    if (!g) {
        return "the polygon cannot be built: " + geos.last_error();
    }
    if (GEOSisValid_r(geos.handle(), g.get()) != 1) {
        char* reason = GEOSisValidReason_r(geos.handle(), g.get());
        std::string text = reason != nullptr ? reason : "unknown reason";
        GEOSFree_r(geos.handle(), reason);
        return "the polygon is not valid: " + text;
    }
    return {};
}

std::string shape_to_wkt(const AreaShape& shape) {
    if (const auto* p = std::get_if<LonLat>(&shape)) {
        return fmt::format("POINT ({:.7f} {:.7f})", p->lon, p->lat);
    }
    const auto& polygons = std::get<std::vector<Polygon>>(shape);
    std::string out;
    if (polygons.size() == 1) {
        out = "POLYGON ";
        append_polygon(out, polygons.front());
        return out;
    }
    out = "MULTIPOLYGON (";
    for (std::size_t i = 0; i < polygons.size(); ++i) {
        if (i > 0) {
            out += ", ";
        }
        append_polygon(out, polygons[i]);
    }
    out += ')';
    return out;
}

GEOSGeometry* plane_ring(const GeosContext& geos, const std::vector<PlanePoint>& points) {
    std::vector<double> xy;
    xy.reserve(points.size() * 2);
    for (const PlanePoint& p : points) {
        xy.push_back(p.x);
        xy.push_back(p.y);
    }
    GEOSCoordSequence* seq = GEOSCoordSeq_copyFromBuffer_r(
        geos.handle(), xy.data(), static_cast<unsigned int>(points.size()), 0, 0);
    return GEOSGeom_createLinearRing_r(geos.handle(), seq);
}

GeomPtr polygons_on_plane(const GeosContext& geos, const std::vector<Polygon>& polygons,
                          const LocalProjection& projection) {
    return make_polygons(geos, polygons, [&](const Ring& ring) {
        std::vector<PlanePoint> points;
        points.reserve(ring.size());
        for (const LonLat& p : ring) {
            points.push_back(projection.to_plane(p));
        }
        return plane_ring(geos, points);
    });
}

}  // namespace loa::coverage
