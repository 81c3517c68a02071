"""great-expectations Data Docs that open offline.

GX's pages load bootstrap, jQuery, bootstrap-table, Font Awesome, vega and more from CDNs, and
their logo from GX's web server with the project's id in its address: offline a page showed
unstyled HTML and an empty list of results (bootstrap-table draws it from data), and online
every view told GX's server which project looked at it. The site is built with GX's own
extension points instead, named in its site configuration (`site_config`):

- `OfflineSiteBuilder`, GX's `SiteBuilder` that also writes the vendored libraries
  (`data_docs/static/vendor/`, each with its license and version: its README.md) into the site's
  `static/vendor/`, next to GX's own `static/images/`, on every build;
- `OfflinePageView` and `OfflineIndexPageView`, GX's page views whose Jinja templates are looked
  up in `data_docs/templates/` first: copies of GX's templates that name those files by a path
  relative to the page (`site_root()`), show GX's logo from `static/images/`, and drop the
  newsletter footer. The other templates are GX's own.

GX's `custom_views_directory` (the GX project's `plugins/custom_data_docs/views/`) cannot do it:
GX searches it after its own templates, so it adds templates but cannot replace one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from great_expectations.render.renderer.site_builder import SiteBuilder
from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView
from jinja2 import ChoiceLoader, FileSystemLoader, pass_context
from jinja2.runtime import Context

HERE = Path(__file__).parent / "data_docs"
TEMPLATES_DIR = HERE / "templates"
# Copied into the site as static/vendor/.
VENDOR_DIR = HERE / "static" / "vendor"
_VENDOR_README = ("static", "vendor", "README.md")
_CONTENT_TYPES = {
    ".css": "text/css",
    ".js": "text/javascript",
    ".woff2": "font/woff2",
    ".md": "text/markdown",
    "": "text/plain",
}


def site_config(docs_dir: Path) -> dict[str, Any]:
    """The Data Docs site written to `docs_dir`, offline."""
    module = __name__
    page_view = {"module_name": module, "class_name": OfflinePageView.__name__}
    return {
        "module_name": module,
        "class_name": OfflineSiteBuilder.__name__,
        "show_how_to_buttons": False,
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(docs_dir),
        },
        "site_index_builder": {
            "class_name": "DefaultSiteIndexBuilder",
            "view": {"module_name": module, "class_name": OfflineIndexPageView.__name__},
        },
        "site_section_builders": {
            section: {"view": dict(page_view)}
            for section in ("expectations", "validations", "profiling")
        },
    }


@pass_context
def site_root(context: Context) -> str:
    """The path from the page being rendered to the site's root folder: `./` for the index,
    `../` per folder of `expectations/<suite name, a folder per dot>.html` and
    `validations/<suite name, a folder per dot>/<run name>/<run time>/<batch>.html`."""
    renderer = context.get("renderer_type") or ""
    dots = str(context.get("expectation_suite_name") or "").count(".")
    if "ValidationResults" in renderer or "ProfilingResults" in renderer:
        depth = dots + 4
    elif "ExpectationSuite" in renderer:
        depth = dots + 1
    else:
        depth = 0
    return "../" * depth or "./"


class _OfflineTemplates:
    """A GX Jinja view whose templates are looked up in TEMPLATES_DIR first."""

    env: Any

    def __init__(self, custom_styles_directory=None, custom_views_directory=None) -> None:
        super().__init__(  # type: ignore[call-arg]
            custom_styles_directory=custom_styles_directory,
            custom_views_directory=custom_views_directory,
        )
        self.env.loader = ChoiceLoader([FileSystemLoader(str(TEMPLATES_DIR)), self.env.loader])
        self.env.globals["site_root"] = site_root


class OfflinePageView(_OfflineTemplates, DefaultJinjaPageView):
    """The page of a suite or of a validation result, offline."""


class OfflineIndexPageView(_OfflineTemplates, DefaultJinjaIndexPageView):
    """The index page, offline."""


class OfflineSiteBuilder(SiteBuilder):
    """GX's site builder, which also writes the vendored libraries the offline pages load."""

    def build(self, resource_identifiers=None, build_index: bool = True):
        if resource_identifiers is not None and not self._built_offline_before():
            # the pages already there were rendered by GX's own site, loading from CDNs: the
            # first offline build renders every page again, not only those asked for
            resource_identifiers = None
        built = super().build(resource_identifiers=resource_identifiers, build_index=build_index)
        self.copy_vendored_assets()
        return built

    def _built_offline_before(self) -> bool:
        backend = self.target_store.store_backends["static_assets"]
        return backend.has_key(_VENDOR_README)

    def copy_vendored_assets(self) -> None:
        """Write VENDOR_DIR into the site's static/vendor/ through the site's store (a file a
        previous build wrote whole is not written again: each library's folder names its
        version). Its README.md goes last: once it is there, the site was built offline."""
        backend = self.target_store.store_backends["static_assets"]
        files = sorted(VENDOR_DIR.rglob("*"))
        for source in sorted(files, key=lambda path: path == VENDOR_DIR / "README.md"):
            if not source.is_file():
                continue
            key = ("static", "vendor", *source.relative_to(VENDOR_DIR).parts)
            written = _written_file(backend, key)
            if written is not None and _same_size(written, source):
                continue
            backend.set(
                key,
                source.read_bytes(),
                content_type=_CONTENT_TYPES.get(source.suffix, "application/octet-stream"),
            )


def _same_size(written: Path, source: Path) -> bool:
    return written.is_file() and written.stat().st_size == source.stat().st_size


def _written_file(backend: Any, key: tuple[str, ...]) -> Path | None:
    """The file a filesystem store holds for `key` (None for another kind of store)."""
    base = getattr(backend, "full_base_directory", None)
    return Path(base, *key) if base is not None else None
