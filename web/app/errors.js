// problem+json `code` → the message people read. The API's `detail` is
// English and for developers; the portal shows these. Unknown codes fall
// back to a message by HTTP status.

const MESSAGES = {
	network_error: '无法连接服务器，请检查网络后重试。',
	service_unavailable: '服务暂时不可用，请稍后重试。',
	timeout: '服务响应超时，请稍后重试。',
	database_unavailable: '数据服务暂时不可用，请稍后重试。',
	database_timeout: '数据服务响应超时，请稍后重试。',
	internal: '系统内部错误，请稍后重试；如持续出现请联系管理员。',
	rate_limited: '操作过于频繁，请稍后再试。',
	unauthenticated: '登录已失效，请重新登录。',
	invalid_credentials: '用户名或密码错误。',
	login_locked: '登录失败次数过多，账号在本终端已临时锁定，请稍后再试。',
	otp_required: '请输入动态验证码。',
	invalid_otp: '动态验证码错误或已使用，请输入验证器上的新验证码。',
	mfa_required: '此操作需要使用动态验证码登录。',
	password_change_required: '请先修改密码。',
	password_policy: '新密码不符合要求：12–128 位，含大写字母、小写字母、数字、符号中的三类，且不含用户名。',
	csrf_failed: '页面已过期，请刷新后重试。',
	forbidden: '您没有执行此操作的权限。',
	own_account: '不能对自己的账号执行此操作。',
	higher_account: '不能管理权限高于自己的账号。',
	two_person_rule: '按双人复核规定，此步骤须由另一名工作人员办理。',
	separation_of_duties: '按职责分离规定，不能同时持有这些角色。',
	case_not_found: '未找到该案件，或您无权查看。',
	invalid_state: '案件当前状态不允许此操作，请刷新查看最新状态。',
	version_conflict: '案件已被他人更新，请查看最新内容后再操作。',
	documents_missing: '必需的材料尚未上传齐全。',
	attachment_limit: '该案件的附件数量或总大小已达上限。',
	attachment_too_large: '文件过大：单个文件不能超过 20 MB。',
	body_too_large: '提交的内容过大。',
	unsupported_attachment_type: '只能上传 PDF、JPEG 或 PNG 文件。',
	unsupported_media_type: '不支持的文件类型。',
	priority_conflict: '该不动产单元有更早受理的案件尚未办结，须先办理该案件。',
	unit_seized: '该不动产单元已被查封，不能登簿。',
	no_such_right: '要变更或注销的权利不存在或已失效。',
	unit_not_found: '登记簿中没有该不动产单元。',
	invalid_unit_code: '不动产单元代码格式不正确（28 位）。',
	invalid_id_number: '证件号码不正确。',
	business_type_not_enabled: '该业务类型在此地区尚未开通。',
	business_type_not_found: '没有这种业务类型。',
	action_disabled: '该操作已被流程管理停用。',
	invalid_field: '填写的内容不符合要求。',
	missing_field: '有必填项未填写。',
	unknown_field: '提交了不认识的字段。',
	invalid_character: '内容中含有不允许的控制字符。',
	invalid_parameter: '请求参数不正确。',
	progress_not_found: '案件编号或证件号后六位不正确。',
	progress_locked: '查询错误次数过多，请一小时后再试。',
	session_not_found: '该会话不存在或已结束。',
	enrolment_code_required: '首次绑定动态验证码需要管理员发放的绑定码。',
	invalid_enrolment_code: '绑定码错误、已使用或已过期。',
	no_pending_enrolment: '请先生成新的绑定二维码。',
	data_keys_unavailable: '加密密钥不可用，暂时无法处理证件号码，请联系管理员。',
	idempotency_key_reused: '重复提交的内容与首次不同，请刷新后重试。',
	request_in_progress: '上一次提交仍在处理中，请稍候。',
	not_found: '请求的内容不存在。',
	method_not_allowed: '不支持此操作。',
	malformed_json: '提交的数据格式不正确。',
	weak_password: '新密码不符合要求：12–128 位，含大写字母、小写字母、数字、符号中的三类，且不含用户名。',
	same_password: '新密码不能与当前密码相同。',
	password_mismatch: '两次输入的新密码不一致。',
	wrong_password: '当前密码不正确。',
	session_expired: '由于长时间未操作，您已安全退出，请重新登录。',
	session_ended: '登录已失效，请重新登录。',
	// -- sign-in, accounts, sessions (add above this line) --

	attachment_not_found: '该材料不存在或已不可查看。',
	party_not_found: '该申请人不存在。',
	unknown_business_type: '没有这种已开通的业务类型。',
	unknown_action: '没有这种办理操作。',
	malformed_multipart: '文件上传的数据不完整，请重新选择文件上传。',
	invalid_idempotency_key: '提交标识无效，请刷新页面后重试。',
	public_url_unset: '系统尚未配置申请人查询网址，暂时无法出具回执，请联系管理员。',
	// registry search
	invalid_certificate_no: '不动产权证书（证明）号格式不正确，例如：桂(2026)南宁市不动产权第0000001号。',
	invalid_holder_name: '请填写权利人姓名（名称）。',
	invalid_id_type: '证件类型不正确。',
	invalid_as_at: '查询时点不正确：请填写不晚于当前的日期时间。',
	invalid_cursor: '翻页参数已失效，请重新查询。',
	// -- cases, registry, attachments, receipts (add above this line) --

	quota_exceeded: '今日查询次数已达上限，请于北京时间次日零时后再查询。',
	unknown_requester_kind: '请选择查询人类别（权利人、继承人/监护人、利害关系人、拟交易利害关系人、律师、国家机关）。',
	missing_purpose: '请填写查询目的。',
	missing_reference: '该类查询人须填写依据文号（合同/案号、调查令号或协查文书号）。',
	condition_not_allowed: '该类查询人不能按此条件查询（如利害关系人不能按权利人姓名和证件号查询）。',
	unknown_evidence: '证明材料不存在或不是本机构上传的，请重新上传。',
	evidence_used: '该证明材料已用于另一次查询，请重新上传。',
	evidence_too_large: '证明材料过大：不能超过 10 MB。',
	unsupported_evidence_type: '证明材料只能是 PDF、JPEG 或 PNG 文件。',
	own_query: '不能审批自己发起的查询。',
	query_not_found: '未找到该查询，或其不属于本机构。',
	whitelist_entry_not_found: '该白名单记录不存在或不在您的管辖范围内。',
	already_whitelisted: '此人已在该范围的白名单中。',
	user_not_found: '没有这个用户。',
	// -- archive queries, whitelist, query permissions (add above this line) --
	// query-result certificates
	query_not_completed: '该查询尚未办结（待审批或已驳回），不能出具查询结果证明。',
	signing_unavailable: '电子签章服务暂不可用，证明未出具，请稍后重试。',
	certificate_not_found: '未找到该证明：编号或验证码不符，该证明可能不是本平台出具的。',
	// fees
	payment_order_open: '申请人正在线上缴费（缴费二维码未过期），请待其完成或过期后再在窗口收费。',
};

const BY_STATUS = {
	0: MESSAGES.network_error,
	400: '提交的内容不正确。',
	401: MESSAGES.unauthenticated,
	403: MESSAGES.forbidden,
	404: MESSAGES.not_found,
	409: '操作与案件当前情况冲突，请刷新后重试。',
	413: MESSAGES.body_too_large,
	429: MESSAGES.rate_limited,
	502: MESSAGES.service_unavailable,
	503: MESSAGES.service_unavailable,
	504: MESSAGES.timeout,
};

export function messageFor(err) {
	const code = err && err.code;
	if (code && MESSAGES[code]) return MESSAGES[code];
	const status = err && typeof err.status === 'number' ? err.status : 500;
	return BY_STATUS[status] || (status >= 500 ? MESSAGES.internal : '操作未成功。');
}

// An outage (no answer, 502/503/504) is shown as such, with a retry.
export function isOutage(err) {
	return err && (err.status === 0 || err.status === 502 || err.status === 503 || err.status === 504);
}
