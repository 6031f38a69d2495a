-- Demo: 政策法规. Every document here is demonstration data and says so in
-- its title or issuer; doc numbers of our own making read 演示〔2026〕n号, so
-- none passes for a real one. The one real regulation (不动产登记暂行条例)
-- is a short excerpt of its 2014 text with its real promulgation number,
-- marked as an excerpt; the official text governs. Loaded as the writers
-- would: created as drafts (version 1), published (version 2), one
-- withdrawn (version 3), each version with its snapshot. Re-runs add nothing.
-- the snapshot the service writes after each change (fcgi/admin/policies.c)
CREATE FUNCTION pg_temp.demo_snapshot(p_id bigint, p_action text, p_user bigint) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO pol.version (document_id, version, action, state, division, category, title, issuer, doc_number,
                           published_on, effective_on, body, withdraw_reason, attachments, changed_by, changed_at)
  SELECT d.id, d.version, p_action, d.state, d.division, d.category, d.title, d.issuer, d.doc_number,
         d.published_on, d.effective_on, d.body, d.withdraw_reason, '[]'::jsonb, p_user, d.updated_at
    FROM pol.document d WHERE d.id = p_id
$$;

DO $demo$
DECLARE
  d record;
  v_id bigint;
  v_user bigint;
BEGIN
  FOR d IN SELECT * FROM (VALUES
    ('450000', 'law', 'gx_sysadmin', '不动产登记暂行条例（摘录）', '中华人民共和国国务院', '国务院令第656号',
     '2014-11-24', '2015-03-01', 'published',
     E'【说明】以下为《不动产登记暂行条例》2014年公布文本的部分条文摘录，供窗口人员查阅参考（演示数据）；条例此后经过修订，办理业务以国务院公布的现行正式文本为准。\n\n'
     || E'第一条 为整合不动产登记职责，规范登记行为，方便群众申请登记，保护权利人合法权益，根据《中华人民共和国物权法》等法律，制定本条例。\n\n'
     || E'第二条 本条例所称不动产登记，是指不动产登记机构依法将不动产权利归属和其他法定事项记载于不动产登记簿的行为。\n\n'
     || E'本条例所称不动产，是指土地、海域以及房屋、林木等定着物。\n\n'
     || E'第五条 下列不动产权利，依照本条例的规定办理登记：\n（一）集体土地所有权；\n（二）房屋等建筑物、构筑物所有权；\n（三）森林、林木所有权；\n（四）耕地、林地、草地等土地承包经营权；\n（五）建设用地使用权；\n（六）宅基地使用权；\n（七）海域使用权；\n（八）地役权；\n（九）抵押权；\n（十）法律规定需要登记的其他不动产权利。'),
    ('450000', 'guide', 'gx_sysadmin', '不动产登记“跨县通办”办事指南（演示）', '自治区不动产登记主管部门（演示数据）', '',
     '2026-11-01', '2026-11-01', 'published',
     E'【演示数据】本指南为系统演示而编写，内容不代表任何机关的正式规定。\n\n'
     || E'一、适用范围\n申请人可以在全区任一不动产登记窗口申请办理不在本县（市、区）的不动产登记业务，包括抵押权首次登记、抵押权注销登记、转移登记等已开通“跨县通办”的事项。\n\n'
     || E'二、办理方式\n收件窗口核验申请人身份、收取申请材料并录入系统；不动产所在地登记机构负责审核、登簿。审核通过后，申请人可以选择在收件窗口或不动产所在地领取证书、证明，也可以选择邮寄。\n\n'
     || E'三、申请材料\n（一）不动产登记申请书；\n（二）申请人身份证明；\n（三）不动产权属证书；\n（四）登记原因证明文件，如买卖合同、抵押合同、主债权合同等；\n（五）法律、行政法规规定的其他材料。\n\n'
     || E'四、办理时限\n自受理之日起按各登记类型承诺的工作日办结，跨县流转不另计时限。\n\n'
     || E'五、办理进度查询\n申请人可以凭受理编号和身份证件号码后六位在本系统的公开页面查询办理进度。'),
    ('451300', 'guide', 'lb_admin', '抵押权登记办事指南（演示）', '来宾市不动产登记中心（演示数据）', '',
     '2026-10-15', '2026-10-15', 'published',
     E'【演示数据】本指南为系统演示而编写。\n\n'
     || E'一、适用情形\n以不动产设定抵押、抵押权变更或者主债权消灭需要注销抵押权的，当事人应当申请抵押权登记。\n\n'
     || E'二、申请主体\n抵押权首次登记由抵押人和抵押权人共同申请；抵押权注销登记可以由抵押权人单方申请。\n\n'
     || E'三、申请材料\n（一）不动产登记申请书；\n（二）双方身份证明，抵押权人为金融机构的提交营业执照和授权委托书；\n（三）不动产权属证书；\n（四）抵押合同与主债权合同。\n\n'
     || E'四、收费\n按国家和自治区规定的标准收取不动产登记费，申请人可以在窗口或者通过手机支付。'),
    ('451300', 'notice', 'lb_admin', '关于来宾市各登记窗口开通“跨县通办”业务的通知（演示）', '来宾市不动产登记中心（演示数据）',
     '演示〔2026〕1号', '2026-11-10', '2026-11-16', 'published',
     E'【演示数据】本通知为系统演示而编写。\n\n'
     || E'各县（市、区）不动产登记窗口：\n\n自2026年11月16日起，全市各登记窗口均可受理市内其他县（市、区）不动产的抵押权登记申请。请各窗口做好材料核验和系统录入，确保申请材料完整、影像清晰。\n\n'
     || E'特此通知。'),
    ('450000', 'notice', 'gx_sysadmin', '关于系统升级期间暂停线上缴费的通知（演示，已撤回）', '自治区不动产登记主管部门（演示数据）',
     '演示〔2026〕2号', '2026-11-20', NULL, 'withdrawn',
     E'【演示数据】本通知为系统演示而编写。\n\n因系统升级，2026年11月28日20:00至24:00暂停线上缴费，窗口缴费不受影响。'),
    ('451302', 'policy', 'lb_admin', '兴宾区不动产登记窗口服务规范（征求意见稿，演示）', '兴宾区不动产登记窗口（演示数据）', '',
     NULL, NULL, 'draft',
     E'【演示数据】草稿，未发布。\n\n一、窗口人员应当一次性告知申请人需要补正的全部材料。\n\n二、跨县通办业务应当在收件当日完成影像上传。')
  ) AS t (division, category, who, title, issuer, doc_number, published_on, effective_on, final_state, body)
  LOOP
    CONTINUE WHEN EXISTS (SELECT 1 FROM pol.document x WHERE x.title = d.title);
    SELECT id INTO v_user FROM iam.user WHERE username = d.who;
    CONTINUE WHEN v_user IS NULL;
    INSERT INTO pol.document (division, category, title, issuer, doc_number, published_on, effective_on, body,
                              created_by, created_at, updated_at)
    VALUES (d.division, d.category, d.title, d.issuer, d.doc_number, d.published_on::date, d.effective_on::date,
            d.body, v_user, now(), now())
    RETURNING id INTO v_id;
    PERFORM pg_temp.demo_snapshot(v_id, 'create', v_user);
    IF d.final_state IN ('published', 'withdrawn') THEN
      UPDATE pol.document SET state = 'published', version = 2, published_at = now() WHERE id = v_id;
      PERFORM pg_temp.demo_snapshot(v_id, 'publish', v_user);
    END IF;
    IF d.final_state = 'withdrawn' THEN
      UPDATE pol.document SET state = 'withdrawn', version = 3, withdrawn_at = now(),
                              withdraw_reason = '系统升级已改期，另行通知（演示）' WHERE id = v_id;
      PERFORM pg_temp.demo_snapshot(v_id, 'withdraw', v_user);
    END IF;
  END LOOP;
END
$demo$;
