"""The files plugin: libraries, uploads (streamed, limited, checked), versions, the trash,
previews and search, safe downloads, and who may do what."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import timedelta

import pytest
from rse_files import samples
from rse_files.models import Blob, File, Version
from rse_files.safety import clean_name
from rse_files.storage import blob_key, storage_for
from sqlalchemy import func, select

from rse_core import utcnow
from rse_core.testing import enable, run_jobs, wait_for_index

HTML = b"<!doctype html><script>alert(document.cookie)</script>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture
def people(rse_app, rse_user, rse_client_for):
    for name in ("ann", "bob", "cid"):
        rse_user(name)
    rse_user("boss", admin=True)
    clients = {name: rse_client_for(name) for name in ("ann", "bob", "cid", "boss")}
    created = clients["ann"].post(
        "/api/v1/spaces", json={"name": "Ops", "slug": "ops", "visibility": "private"}
    )
    assert created.status_code == 201
    clients["ann"].post("/api/v1/spaces/ops/members", json={"username": "bob"})
    enable(rse_app, "files")
    return clients


def upload(client, *files, space="ops", folder=None, expect=201):
    """POST /api/v1/files with (name, bytes) pairs."""
    params = {"space": space} if space else {}
    data = {"folder": str(folder)} if folder else {}
    response = client.post(
        "/api/v1/files",
        params=params,
        data=data,
        files=[("file", (name, body, "application/octet-stream")) for name, body in files],
    )
    assert response.status_code == expect, response.text
    return response.json()


def settings_with(app, **extra):
    rt = app.state.rse
    rt.settings = dataclasses.replace(rt.settings, extra={**rt.settings.extra, **extra})


def test_upload_list_download_and_the_same_content_is_stored_once(rse_app, people):
    ann, bob = people["ann"], people["bob"]
    report = samples.pdf(["Quarterly report"])
    made = upload(ann, ("report.pdf", report), ("notes.txt", b"hello"))["items"]
    assert [f["name"] for f in made] == ["report.pdf", "notes.txt"]
    assert made[0]["type"] == "application/pdf" and made[0]["space"] == "ops"
    listing = bob.get("/api/v1/files", params={"space": "ops"}).json()
    assert [f["name"] for f in listing["items"]] == ["notes.txt", "report.pdf"]
    got = bob.get(f"/api/v1/files/{made[0]['id']}/download")
    assert got.status_code == 200 and got.content == report
    assert got.headers["content-disposition"].startswith("attachment")
    # The same bytes in the personal library: one blob.
    upload(bob, ("copy.pdf", report), space=None)
    with rse_app.state.rse.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Blob)) == 2
    storage = storage_for(rse_app.state.rse.settings)
    assert storage.exists(blob_key(hashlib.sha256(report).hexdigest()))
    assert not any(storage.staging().iterdir())  # nothing left half-received


def test_a_file_of_the_same_name_is_a_new_version_and_any_version_comes_back(rse_app, people):
    ann, bob = people["ann"], people["bob"]
    first = upload(ann, ("plan.txt", b"one"))["items"][0]
    again = upload(bob, ("PLAN.txt", b"two"))["items"][0]
    assert again["id"] == first["id"] and again["version"] == 2
    third = bob.post(
        f"/api/v1/files/{first['id']}/versions", files={"file": ("other-name.txt", b"three")}
    )
    assert third.status_code == 201 and third.json()["version"] == 3
    history = third.json()["versions"]
    assert [(v["number"], v["author"]["username"]) for v in history] == [
        (3, "bob"), (2, "bob"), (1, "ann")
    ]  # fmt: skip
    (photo,) = upload(ann, ("photo.png", samples.png()))["items"]
    lying = bob.post(f"/api/v1/files/{photo['id']}/versions", files={"file": ("x.bin", HTML)})
    assert lying.status_code == 409  # photo.png would hold HTML
    old = ann.get(f"/api/v1/files/{first['id']}/download?version=1")
    assert old.content == b"one"
    page = ann.post(f"/files/{first['id']}", data={"action": "restore", "version": "1"})
    assert page.status_code == 200 and "Restored as the newest version." in page.text
    now = ann.get(f"/api/v1/files/{first['id']}").json()
    assert now["version"] == 4 and now["versions"][0]["restored_from"] == 1
    assert ann.get(f"/api/v1/files/{first['id']}/download").content == b"one"
    assert "restored from 1" in ann.get(f"/files/{first['id']}").text


def test_files_are_served_so_that_none_runs_in_the_browser(rse_app, people):
    ann = people["ann"]
    made = upload(
        ann, ("page.html", HTML), ("logo.svg", SVG), ("photo.png", samples.png()),
        ("doc.pdf", samples.pdf(["x"])),
    )["items"]  # fmt: skip
    by_name = {f["name"]: f["id"] for f in made}
    for name in ("page.html", "logo.svg"):
        for inline in ("", "?inline=1"):
            got = ann.get(f"/files/{by_name[name]}/download{inline}")
            assert got.headers["content-type"] == "application/octet-stream", name
            assert got.headers["content-disposition"].startswith("attachment"), name
            assert got.headers["x-content-type-options"] == "nosniff"
            assert "sandbox" in got.headers["content-security-policy"]
    image = ann.get(f"/files/{by_name['photo.png']}/download?inline=1")
    assert image.headers["content-type"] == "image/png"
    assert image.headers["content-disposition"].startswith("inline")
    pdf = ann.get(f"/files/{by_name['doc.pdf']}/download?inline=1")
    assert pdf.headers["content-type"] == "application/pdf"
    assert "script-src" not in pdf.headers["content-security-policy"]  # default-src 'none'


def test_a_name_that_lies_about_the_content_is_refused_and_nothing_is_kept(rse_app, people):
    ann = people["ann"]
    refused = upload(ann, ("cat.png", HTML), expect=422)
    assert "its content is not" in refused["error"]["message"]
    assert ann.get("/api/v1/files", params={"space": "ops"}).json()["items"] == []
    with rse_app.state.rse.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Blob)) == 0
    assert not any(storage_for(rse_app.state.rse.settings).staging().iterdir())
    # A JPEG saved as .png is still an image: accepted.
    from io import BytesIO

    from PIL import Image

    jpeg = BytesIO()
    Image.new("RGB", (8, 8)).save(jpeg, format="JPEG")
    assert upload(ann, ("photo.png", jpeg.getvalue()))["items"][0]["type"] == "image/jpeg"


def test_size_limits_and_quotas_are_refused_with_the_reason(rse_app, people):
    ann, boss = people["ann"], people["boss"]
    settings_with(rse_app, files_max_file_mb=0.001)  # 1 KB or so
    too_big = upload(ann, ("big.bin", b"x" * 5000), expect=413)
    assert "larger than the limit" in too_big["error"]["message"]
    assert not any(storage_for(rse_app.state.rse.settings).staging().iterdir())
    settings_with(rse_app, files_max_file_mb=10)
    assert boss.post("/files/spaces/ops/quota", data={"quota": "0.002"}).status_code == 404
    people["boss"].post("/api/v1/spaces/ops/members", json={"username": "boss"})
    # An admin sets a space's quota (a private space's page needs them in it to be seen).
    ann.post("/api/v1/spaces/ops/members", json={"username": "boss"})
    assert boss.post("/files/spaces/ops/quota", data={"quota": "0.002"}).status_code == 200
    assert ann.post("/files/spaces/ops/quota", data={"quota": "100"}).status_code == 403
    upload(ann, ("a.bin", b"x" * 1500))
    full = upload(ann, ("b.bin", b"x" * 1500), expect=422)
    assert "This library is full" in full["error"]["message"]
    page = ann.post(
        "/files/spaces/ops/upload", files={"file": ("b.bin", b"x" * 1500)}, follow_redirects=True
    )
    assert "This library is full" in page.text


def test_names_are_cleaned():
    assert clean_name("../../etc/passwd") == "passwd"
    assert clean_name("C:\\Users\\ann\\report.pdf") == "report.pdf"
    assert clean_name("bad\x00na\x1bme\u202e.txt") == "badname.txt"
    assert clean_name("...hidden") == "hidden"
    assert clean_name("CON.txt") == "_CON.txt"
    long = clean_name("a" * 300 + ".docx")
    assert len(long) == 200 and long.endswith(".docx")
    with pytest.raises(ValueError):
        clean_name("../")


def test_folders_nest_move_and_never_go_inside_themselves(rse_app, people):
    from rse_files.models import Folder

    ann = people["ann"]
    for name in ("Plans", "Archive"):
        assert ann.post("/files/spaces/ops/folders", data={"name": name}).status_code == 200
    with rse_app.state.rse.db.read() as session:
        ids = dict(session.execute(select(Folder.name, Folder.id)).all())
    inner = ann.post("/files/spaces/ops/folders", data={"name": "2027", "parent": ids["Plans"]})
    assert inner.status_code == 200 and "2027" in inner.text
    taken = ann.post("/files/spaces/ops/folders", data={"name": "plans"})
    assert "Something here already has this name." in taken.text
    page = ann.get(f"/files/spaces/ops?folder={ids['Plans']}").text
    assert f'<option value="{ids["Archive"]}"' in page  # a place to move it to
    assert f'<option value="{ids["Plans"]}"' not in page  # never into itself
    moved = ann.post(
        f"/files/folders/{ids['Plans']}", data={"action": "move", "folder": ids["Archive"]}
    )
    assert moved.status_code == 200 and "Archive" in moved.text
    with rse_app.state.rse.db.read() as session:
        child = session.scalar(select(Folder.id).where(Folder.name == "2027"))
    loop = ann.post(f"/files/folders/{ids['Plans']}", data={"action": "move", "folder": child})
    assert "A folder cannot go inside itself." in loop.text
    with rse_app.state.rse.db.read() as session:
        assert session.get(Folder, ids["Plans"]).parent_id == ids["Archive"]


def test_the_trash_hides_restores_and_purges_after_30_days(rse_app, people):
    ann, bob = people["ann"], people["bob"]
    (made,) = upload(ann, ("keep.txt", b"keep me"))["items"]
    assert bob.delete(f"/api/v1/files/{made['id']}").status_code == 403  # not his
    assert ann.delete(f"/api/v1/files/{made['id']}").status_code == 204
    assert bob.get(f"/api/v1/files/{made['id']}").status_code == 404
    assert bob.get(f"/files/{made['id']}/download").status_code == 404
    trash = ann.get("/files/spaces/ops/trash").text
    assert "keep.txt" in trash
    restored = ann.post("/files/spaces/ops/trash", data={"kind": "file", "id": str(made["id"])})
    assert restored.status_code == 200 and "keep.txt" in restored.text
    assert bob.get(f"/api/v1/files/{made['id']}").status_code == 200
    # A folder goes with what it holds, and comes back with it.
    folder = ann.post("/files/spaces/ops/folders", data={"name": "Reports"})
    assert folder.status_code == 200
    with rse_app.state.rse.db.read() as session:
        from rse_files.models import Folder

        folder_id = session.scalar(select(Folder.id).where(Folder.name == "Reports"))
    (inner,) = upload(ann, ("q1.txt", b"q1"), folder=folder_id)["items"]
    ann.post(f"/files/folders/{folder_id}", data={"action": "delete"})
    assert bob.get(f"/api/v1/files/{inner['id']}").status_code == 404
    trash = ann.get("/files/spaces/ops/trash").text
    assert "Reports" in trash and "q1.txt" not in trash  # listed as its folder
    ann.post("/files/spaces/ops/trash", data={"kind": "folder", "id": str(folder_id)})
    assert bob.get(f"/api/v1/files/{inner['id']}").json()["folder"] == folder_id
    # Thirty days in the trash, then gone, and the bytes nobody holds with it.
    ann.delete(f"/api/v1/files/{inner['id']}")
    storage = storage_for(rse_app.state.rse.settings)
    sha = hashlib.sha256(b"q1").hexdigest()
    run_jobs(rse_app, now=utcnow() + timedelta(days=29))
    assert storage.exists(blob_key(sha))
    run_jobs(rse_app, now=utcnow() + timedelta(days=31))
    with rse_app.state.rse.db.read() as session:
        assert session.get(File, inner["id"]) is None
        assert session.get(Blob, sha) is None
        assert session.get(File, made["id"]) is not None
    assert not storage.exists(blob_key(sha))


def test_words_inside_documents_are_found_only_by_who_may_see_them(rse_app, people):
    ann, cid = people["ann"], people["cid"]
    upload(
        ann,
        ("budget.pdf", samples.pdf(["Zanzibar budget forecast"])),
        ("onboarding.docx", samples.docx(["Zanzibar onboarding checklist"])),
        ("sheet.xlsx", samples.xlsx([["Zanzibar", 12]])),
        ("note.odt", samples.odt(["Zanzibar procédure"])),
        ("photo.png", samples.png()),
        ("q3-roadmap_draft.txt", b"nothing to see"),
    )
    assert run_jobs(rse_app) >= 5
    wait_for_index(rse_app)
    hits = ann.get("/api/v1/search", params={"q": "zanzibar"}).json()["hits"]
    assert {h["title"] for h in hits} == {"budget.pdf", "onboarding.docx", "sheet.xlsx", "note.odt"}
    assert cid.get("/api/v1/search", params={"q": "zanzibar"}).json()["hits"] == []
    by_name = ann.get("/api/v1/search", params={"q": "roadmap"}).json()["hits"]
    assert [h["title"] for h in by_name] == ["q3-roadmap_draft.txt"]  # the name's words
    listing = {f["name"]: f for f in ann.get("/api/v1/files?space=ops").json()["items"]}
    assert listing["photo.png"]["preview"] == "ready"
    thumb = ann.get(f"/files/{listing['budget.pdf']['id']}/thumbnail")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/png"
    assert cid.get(f"/files/{listing['budget.pdf']['id']}/thumbnail").status_code == 404
    assert ann.get(f"/files/{listing['note.odt']['id']}/thumbnail").status_code == 404


def test_a_decompression_bomb_gets_no_thumbnail_and_breaks_nothing(rse_app, people):
    from io import BytesIO

    from PIL import Image

    bomb = BytesIO()
    Image.new("1", (20_000, 20_000)).save(bomb, format="PNG")  # 400 Mpx in ~50 KB
    (made,) = upload(people["ann"], ("bomb.png", bomb.getvalue()))["items"]
    run_jobs(rse_app)
    again = people["ann"].get(f"/api/v1/files/{made['id']}").json()
    assert again["preview"] == "failed"
    assert people["ann"].get(f"/files/{made['id']}").status_code == 200


def test_ranged_downloads_resume(rse_app, people):
    (made,) = upload(people["ann"], ("data.bin", bytes(range(256)) * 4))["items"]
    part = people["bob"].get(
        f"/api/v1/files/{made['id']}/download", headers={"range": "bytes=10-19"}
    )
    assert part.status_code == 206 and part.content == bytes(range(10, 20))
    assert part.headers["content-range"] == "bytes 10-19/1024"


def test_who_may_read_and_write_each_library(rse_app, people):
    ann, bob, cid = people["ann"], people["bob"], people["cid"]
    (made,) = upload(ann, ("ops.txt", b"ops only"))["items"]
    assert cid.get("/files/spaces/ops").status_code == 404  # private: members only
    assert cid.get(f"/files/{made['id']}").status_code == 404
    assert cid.get(f"/api/v1/files/{made['id']}/download").status_code == 404
    assert upload(cid, ("x.txt", b"x"), expect=404)
    (mine,) = upload(bob, ("diary.txt", b"mine"), space=None)["items"]
    assert mine["space"] is None
    assert ann.get(f"/api/v1/files/{mine['id']}").status_code == 404
    assert "diary.txt" not in ann.get("/files/me").text and "diary.txt" in bob.get("/files/me").text
    # A public space: everyone reads its library, only members add to it.
    ann.post("/api/v1/spaces", json={"name": "Town", "slug": "town", "visibility": "public"})
    (town,) = upload(ann, ("map.txt", b"map"), space="town")["items"]
    assert cid.get(f"/api/v1/files/{town['id']}").status_code == 200
    assert upload(cid, ("x.txt", b"x"), space="town", expect=403)
    assert (
        cid.post(f"/files/{town['id']}", data={"action": "rename", "name": "y"}).status_code == 403
    )


def test_pages_upload_without_javascript_and_show_the_library(rse_app, people):
    ann = people["ann"]
    page = ann.post(
        "/files/spaces/ops/upload",
        files=[("file", ("a.txt", b"a")), ("file", ("b.txt", b"b"))],
        data={"folder": ""},
    )
    assert page.status_code == 200 and "Uploaded." in page.text
    assert "a.txt" in page.text and "b.txt" in page.text
    assert "a.txt" in ann.get("/files").text
    ann.post("/files/spaces/ops/folders", data={"name": "Specs"})
    assert "Specs" in ann.get("/files/spaces/ops").text
    home = ann.get("/").text
    assert "shared a file" in home and "a.txt" in home
    french = ann.get("/files/spaces/ops", headers={"accept-language": "fr"}).text
    assert "Ajouter des fichiers" in french
    # An XHR upload gets JSON, and its refusal says why in the reader's language.
    refused = ann.post(
        "/files/spaces/ops/upload",
        files={"file": ("fake.pdf", b"not a pdf")},
        headers={"accept": "application/json", "accept-language": "fr"},
    )
    assert refused.status_code == 422 and "PDF" in refused.json()["error"]["message"]


def test_malformed_uploads_get_a_clear_4xx(rse_app, people):
    ann = people["ann"]
    assert ann.post("/api/v1/files?space=ops", json={"x": 1}).status_code == 400
    broken = ann.post(
        "/api/v1/files?space=ops",
        content=b'--b\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nab',
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    assert broken.status_code == 400
    assert ann.post("/api/v1/files?space=ops", files={}).status_code in (400, 422)
    assert ann.post("/api/v1/files?space=nowhere", files={"file": ("a", b"a")}).status_code == 404
    assert not any(storage_for(rse_app.state.rse.settings).staging().iterdir())
    with rse_app.state.rse.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Version)) == 0


def test_files_attached_to_a_post_follow_its_audience_and_its_life(rse_app, people):
    ann, bob, cid = people["ann"], people["bob"], people["cid"]
    enable(rse_app, "feed")
    post = ann.post("/api/v1/feed/posts", json={"body": "Budget for Q3", "space": "ops"}).json()
    attached = ann.post(
        f"/files/attach/{post['content_id']}",
        files=[("file", ("budget.pdf", samples.pdf(["Okapi spending plan"])))],
        follow_redirects=False,
    )
    assert attached.status_code == 303 and attached.headers["location"] == post["url"]
    page = bob.get(post["url"]).text
    assert "Attachments" in page and "budget.pdf" in page
    assert "Attach files" not in page  # only the post's author attaches
    refused = bob.post(f"/files/attach/{post['content_id']}", files={"file": ("x.txt", b"x")})
    assert refused.status_code == 403
    assert cid.post(
        f"/files/attach/{post['content_id']}", files={"file": ("x.txt", b"x")}
    ).status_code == 404  # fmt: skip
    run_jobs(rse_app)
    wait_for_index(rse_app)
    hits = bob.get("/api/v1/search", params={"q": "okapi"}).json()["hits"]
    assert [h["title"] for h in hits] == ["budget.pdf"]
    assert cid.get("/api/v1/search", params={"q": "okapi"}).json()["hits"] == []
    file_id = int(hits[0]["url"].rsplit("/", 1)[1])
    assert "Budget for Q3" in bob.get(f"/files/{file_id}").text  # "attached to" the post
    assert cid.get(f"/files/{file_id}/download").status_code == 404
    # Not a library file: the space's library does not list it.
    listed = bob.get("/api/v1/files", params={"space": "ops"}).json()["items"]
    assert listed == []
    # The post deleted: its attachment goes with it, everywhere.
    assert ann.delete(f"/api/v1/feed/posts/{post['id']}").status_code == 204
    wait_for_index(rse_app)
    assert bob.get(f"/files/{file_id}/download").status_code == 404
    assert bob.get("/api/v1/search", params={"q": "okapi"}).json()["hits"] == []


def test_files_attached_to_a_comment_are_shown_under_it_and_go_with_it(rse_app, people):
    ann, bob, cid = people["ann"], people["bob"], people["cid"]
    enable(rse_app, "feed")
    post = ann.post("/api/v1/feed/posts", json={"body": "Offsite plans", "space": "ops"}).json()
    comment = bob.post(
        f"/api/v1/content/{post['content_id']}/comments", json={"body": "My proposal"}
    ).json()
    url = f"/files/attach/{post['content_id']}?comment={comment['id']}"
    proposal = samples.docx(["Axolotl venue proposal"])
    done = bob.post(url, files={"file": ("venue.docx", proposal)}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith(
        f"#comment-{comment['id']}"
    )
    assert ann.post(url, files={"file": ("x.txt", b"x")}).status_code == 403  # not her comment
    assert cid.post(url, files={"file": ("x.txt", b"x")}).status_code == 404
    bad = f"/files/attach/{post['content_id']}?comment=999999"
    assert bob.post(bad, files={"file": ("x.txt", b"x")}).status_code == 404
    page = ann.get(post["url"]).text
    at = page.index(f'id="comment-{comment["id"]}"')
    assert at < page.index("venue.docx", at) < page.index("</li>", at)  # under the comment
    run_jobs(rse_app)
    wait_for_index(rse_app)
    hits = ann.get("/api/v1/search", params={"q": "axolotl"}).json()["hits"]
    assert [h["title"] for h in hits] == ["venue.docx"]
    assert cid.get("/api/v1/search", params={"q": "axolotl"}).json()["hits"] == []
    file_id = int(hits[0]["url"].rsplit("/", 1)[1])
    # The comment deleted (by its author): its file goes with it.
    assert bob.post(f"/comments/{comment['id']}", data={"action": "delete"}).status_code == 200
    wait_for_index(rse_app)
    assert ann.get(f"/files/{file_id}/download").status_code == 404
    assert ann.get("/api/v1/search", params={"q": "axolotl"}).json()["hits"] == []
    assert "venue.docx" not in ann.get(post["url"]).text


def test_every_plugin_s_item_page_takes_attachments(rse_app, people):
    """Blog posts, questions and events show their author "Attach files" with no code of
    their own: the core's render_social calls the hook on every item page."""
    ann, bob = people["ann"], people["bob"]
    for plugin in ("blog", "qa", "events"):
        enable(rse_app, plugin)
    pages = [
        ann.post(
            "/api/v1/blog/posts", json={"title": "T", "body": "B", "status": "published"}
        ).json()["url"],
        ann.post("/api/v1/qa/questions", json={"title": "Which printer works?"}).json()["url"],
        ann.post(
            "/api/v1/events",
            json={
                "title": "Offsite",
                "starts_at": "2030-01-07T10:00",
                "ends_at": "2030-01-07T11:00",
            },
        ).json()["url"],
    ]
    for url in pages:
        assert "Attach files" in ann.get(url).text, url
        assert "Attach files" not in bob.get(url).text, url
