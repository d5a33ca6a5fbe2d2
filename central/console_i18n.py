"""The console's words in Chinese (default) and English; the language is a cookie."""

from __future__ import annotations

from fastapi import Request

LANG_COOKIE = "cg_lang"
WORDS: dict[str, tuple[str, str]] = {
    "title": ("校园门禁管理", "Campus gate console"),
    "login": ("登录", "Log in"),
    "logout": ("退出", "Log out"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "bad_login": ("用户名或密码错误", "Wrong username or password"),
    "households": ("住户", "Households"),
    "people": ("人员", "People"),
    "import": ("批量导入", "Import"),
    "approvals": ("审批", "Approvals"),
    "passes": ("通行证", "Passes"),
    "search": ("搜索", "Search"),
    "add": ("新增", "Add"),
    "save": ("保存", "Save"),
    "campus": ("校区", "Campus"),
    "building": ("楼号", "Building"),
    "unit": ("单元", "Unit"),
    "room": ("房号", "Room"),
    "label": ("名称", "Label"),
    "name": ("姓名", "Name"),
    "category": ("类别", "Category"),
    "household": ("住户", "Household"),
    "active": ("有效", "Active"),
    "phone": ("电话", "Phone"),
    "id_number": ("身份证号", "ID number"),
    "person": ("人员", "Person"),
    "status": ("状态", "Status"),
    "valid_from": ("起始", "Valid from"),
    "valid_until": ("截止", "Valid until"),
    "request": ("提交申请", "Request"),
    "approve": ("批准", "Approve"),
    "reject": ("驳回", "Reject"),
    "approved_by": ("审批人", "Decided by"),
    "issue": ("发证", "Issue"),
    "revoke": ("注销", "Revoke"),
    "revoked": ("已注销", "Revoked"),
    "download_pdf": ("下载PDF", "PDF"),
    "kind": ("类型", "Kind"),
    "file": ("文件 (CSV/XLSX)", "File (CSV/XLSX)"),
    "dry_run": ("仅检查", "Dry run"),
    "do_import": ("导入", "Import"),
    "line": ("行", "Line"),
    "reason": ("原因", "Reason"),
    "imported": ("已导入", "Imported"),
    "checked": ("检查完毕，未写入", "Checked, nothing written"),
    "not_imported": ("有错误，未写入任何数据", "Errors: nothing was written"),
    "rows": ("行数", "Rows"),
    "new_households": ("新住户", "New households"),
    "new_people": ("新人员", "New people"),
    "person_id": ("人员编号", "Person #"),
    "household_id": ("住户编号", "Household #"),
    "forbidden": ("无权限", "Forbidden"),
    "total": ("共", "Total"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
}


def lang_of(request: Request) -> str:
    """'zh' unless the visitor chose English."""
    return "en" if request.cookies.get(LANG_COOKIE) == "en" else "zh"


def translator(lang: str):  # type: ignore[no-untyped-def]
    """``t(key)`` for templates."""
    index = 1 if lang == "en" else 0
    return lambda key: WORDS[key][index] if key in WORDS else key
